"""Conversation states."""

from aiogram.fsm.state import State, StatesGroup


class Flow(StatesGroup):
    waiting_style = State()  # a photo is in; a preset or a style image is next

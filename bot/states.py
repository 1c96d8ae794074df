"""Conversation states. Their data holds only tokens into bot.kept, never images or file ids."""

from aiogram.fsm.state import State, StatesGroup


class Flow(StatesGroup):
    waiting_style = State()  # a photo is in ("content" token); a preset or a style image is next
    waiting_photo = State()  # a preset was picked first ("preset"); the photo is next

"""Callback-data factories for inline buttons (packed data must stay under 64 bytes)."""

from aiogram.filters.callback_data import CallbackData


class StyleChoice(CallbackData, prefix="style"):
    preset: str


class SettingChoice(CallbackData, prefix="set"):
    key: str  # strength | quality | colour
    value: str


class JobAction(CallbackData, prefix="job"):
    action: str  # cancel
    job_id: str


class ResultAction(CallbackData, prefix="res"):
    action: str  # again | stronger | weaker | full
    token: str  # a bot.kept token: the images stay in memory, not in the button


class FlowAction(CallbackData, prefix="flow"):
    action: str  # cancel

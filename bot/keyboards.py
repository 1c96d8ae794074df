"""Inline keyboards; every label comes from the translator."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.api_client import Style
from bot.callbacks import FlowAction, JobAction, ResultAction, SettingChoice, StyleChoice
from bot.i18n import Translator
from bot.preferences import COLOURS, QUALITIES, STRENGTHS, Preferences


def styles_keyboard(styles: list[Style], t: Translator) -> InlineKeyboardMarkup:
    """One button per preset painting, and Cancel."""
    kb = InlineKeyboardBuilder()
    for style in styles:
        label = f"{style.title} ({style.artist})" if style.artist else style.title
        kb.button(text=label, callback_data=StyleChoice(preset=style.id))
    kb.button(text=t("button-cancel"), callback_data=FlowAction(action="cancel"))
    kb.adjust(1)
    return kb.as_markup()


def flow_cancel_keyboard(t: Translator) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=t("button-cancel"), callback_data=FlowAction(action="cancel"))
    return kb.as_markup()


def settings_keyboard(prefs: Preferences, t: Translator) -> InlineKeyboardMarkup:
    """Three rows (strength, quality, colours); the current choice is marked."""
    kb = InlineKeyboardBuilder()
    rows = (
        ("strength", STRENGTHS, prefs.strength),
        ("quality", QUALITIES, prefs.quality),
        ("colour", COLOURS, prefs.colour),
    )
    for key, values, current in rows:
        for value in values:
            label = t(f"{key}-{value}")
            kb.button(
                text=f"✓ {label}" if value == current else label,
                callback_data=SettingChoice(key=key, value=value),
            )
    kb.adjust(len(STRENGTHS), len(QUALITIES), len(COLOURS))
    return kb.as_markup()


def cancel_job_keyboard(job_id: str, t: Translator) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=t("button-cancel"), callback_data=JobAction(action="cancel", job_id=job_id))
    return kb.as_markup()


def result_keyboard(token: str, t: Translator, full: bool = False) -> InlineKeyboardMarkup:
    """Under a result: (Full quality,) Again with another style, Stronger, Weaker."""
    kb = InlineKeyboardBuilder()
    if full:
        kb.button(text=t("button-full"), callback_data=ResultAction(action="full", token=token))
    kb.button(text=t("button-again"), callback_data=ResultAction(action="again", token=token))
    kb.button(text=t("button-stronger"), callback_data=ResultAction(action="stronger", token=token))
    kb.button(text=t("button-weaker"), callback_data=ResultAction(action="weaker", token=token))
    kb.adjust(*((1, 1, 2) if full else (1, 2)))
    return kb.as_markup()

"""/settings: strength, quality and colour, remembered per user."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import CallbackQuery, Message

from bot import preferences
from bot.callbacks import SettingChoice
from bot.i18n import Translator
from bot.keyboards import settings_keyboard
from bot.preferences import Preferences


def settings_text(prefs: Preferences, t: Translator) -> str:
    return t(
        "settings-title",
        strength=t(f"strength-{prefs.strength}"),
        quality=t(f"quality-{prefs.quality}"),
        colour=t(f"colour-{prefs.colour}"),
    )


async def show(message: Message, t: Translator, bot: Bot, fsm_storage: BaseStorage) -> None:
    prefs = await preferences.load(fsm_storage, bot.id, message.from_user.id)  # type: ignore[union-attr]
    await message.answer(settings_text(prefs, t), reply_markup=settings_keyboard(prefs, t))


async def choose(
    query: CallbackQuery,
    callback_data: SettingChoice,
    t: Translator,
    bot: Bot,
    fsm_storage: BaseStorage,
) -> None:
    before = await preferences.load(fsm_storage, bot.id, query.from_user.id)
    prefs = before.with_choice(callback_data.key, callback_data.value)
    await query.answer()
    if prefs == before:  # Telegram refuses an edit that changes nothing
        return
    await preferences.save(fsm_storage, bot.id, query.from_user.id, prefs)
    if query.message is not None:
        await bot.edit_message_text(
            text=settings_text(prefs, t),
            chat_id=query.message.chat.id,
            message_id=query.message.message_id,
            reply_markup=settings_keyboard(prefs, t),
        )


def make_router() -> Router:
    """A fresh router: aiogram attaches a router to one dispatcher only."""
    router = Router(name="settings")
    router.message.register(show, Command("settings"))
    router.callback_query.register(
        choose, SettingChoice.filter(F.key.in_({"strength", "quality", "colour"}))
    )
    return router

"""/start, /help and /styles."""

from __future__ import annotations

from pathlib import Path

from aiogram import Bot, Router
from aiogram.filters import Command, CommandStart
from aiogram.types import BufferedInputFile, Message

from bot.api_client import StylizeClient
from bot.i18n import Translator
from bot.keyboards import styles_keyboard

EXAMPLE = Path(__file__).resolve().parent.parent / "assets" / "example.jpg"


async def start(message: Message, t: Translator) -> None:
    await message.answer(t("start"))
    if EXAMPLE.is_file():
        await message.answer_photo(
            BufferedInputFile(EXAMPLE.read_bytes(), "example.jpg"), caption=t("start-example")
        )


async def help_(message: Message, t: Translator) -> None:
    await message.answer(t("help"))


async def styles(message: Message, t: Translator, api: StylizeClient, bot: Bot) -> None:
    presets = await api.styles()
    for style in presets[:10]:
        image = await api.style_image(style.id)
        await bot.send_photo(
            message.chat.id,
            BufferedInputFile(image, f"{style.id}.jpg"),
            caption=f"{style.title} — {style.artist}, {style.year}",
        )
    await message.answer(t("styles-title"), reply_markup=styles_keyboard(presets, t))


def make_router() -> Router:
    """A fresh router: aiogram attaches a router to one dispatcher only."""
    router = Router(name="start")
    router.message.register(start, CommandStart())
    router.message.register(help_, Command("help"))
    router.message.register(styles, Command("styles"))
    return router

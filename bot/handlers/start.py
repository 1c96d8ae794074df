"""/start (with an example picture when one ships), /help and the /styles gallery."""

from __future__ import annotations

import html
from pathlib import Path

from aiogram import Bot, Router
from aiogram.filters import Command, CommandStart
from aiogram.types import BufferedInputFile, InputMediaPhoto, Message

from bot.api_client import ServiceError, Style, StylizeClient
from bot.catalog import Catalog
from bot.i18n import Translator
from bot.keyboards import styles_keyboard

# content | style | result side by side; optional: /start skips the picture without it.
EXAMPLE = Path(__file__).resolve().parent.parent / "assets" / "example.jpg"
ALBUM_MAX = 10  # Telegram's limit for one media group


async def start(message: Message, t: Translator) -> None:
    await message.answer(t("start"))
    if EXAMPLE.is_file():
        await message.answer_photo(
            BufferedInputFile(EXAMPLE.read_bytes(), "example.jpg"), caption=t("start-example")
        )


async def help_(message: Message, t: Translator) -> None:
    await message.answer(t("help"))


async def styles(
    message: Message, t: Translator, api: StylizeClient, catalog: Catalog, bot: Bot
) -> None:
    presets = await catalog.styles()
    if not presets:
        await message.answer(t("no-styles"))
        return
    shown: list[tuple[Style, InputMediaPhoto]] = []
    for style in presets:
        picture = await _thumbnail(style, api, catalog)
        if picture is not None:
            shown.append((style, InputMediaPhoto(media=picture, caption=_caption(style))))
    for first in range(0, len(shown), ALBUM_MAX):
        chunk = shown[first : first + ALBUM_MAX]
        if len(chunk) == 1:  # a media group needs two at least
            sent = [
                await bot.send_photo(
                    message.chat.id, chunk[0][1].media, caption=chunk[0][1].caption
                )
            ]
        else:
            sent = await bot.send_media_group(message.chat.id, [media for _, media in chunk])
        for (style, _), reply in zip(chunk, sent, strict=False):
            if reply.photo:
                catalog.thumbnail_ids[style.id] = reply.photo[-1].file_id
    await message.answer(t("styles-title"), reply_markup=styles_keyboard(presets, t))


async def _thumbnail(
    style: Style, api: StylizeClient, catalog: Catalog
) -> str | BufferedInputFile | None:
    if style.id in catalog.thumbnail_ids:
        return catalog.thumbnail_ids[style.id]
    try:
        return BufferedInputFile(await api.style_image(style.id), f"{style.id}.jpg")
    except ServiceError as exc:
        if exc.status == 404:  # a preset without a thumbnail: listed by name only
            return None
        raise


def _caption(style: Style) -> str:
    # Captions are parsed as HTML: the service's titles are text, not markup.
    return html.escape(" — ".join(str(p) for p in (style.title, style.artist, style.year) if p))


def make_router() -> Router:
    """A fresh router: aiogram attaches a router to one dispatcher only."""
    router = Router(name="start")
    router.message.register(start, CommandStart())
    router.message.register(help_, Command("help"))
    router.message.register(styles, Command("styles"))
    return router

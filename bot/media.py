"""Which messages carry an image or a clip we can use, and albums gathered into one list."""

from __future__ import annotations

import asyncio
import io
import logging
from dataclasses import dataclass, field
from typing import Literal

import aiohttp
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import Message

log = logging.getLogger("bot.media")

SUPPORTED_TYPES = {"image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"}
SUPPORTED_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif")
# Clips sent as files; the service tells them by content, these only route the message.
CLIP_TYPES = {"video/mp4", "video/quicktime", "video/webm", "video/x-matroska", "image/gif"}
CLIP_SUFFIXES = (".mp4", ".m4v", ".mov", ".webm", ".mkv", ".gif")
# How Telegram shows a clip, and so how its painted one goes back: a video, a GIF animation
# (Telegram turns GIFs into silent MP4s), or a round video note.
ClipKind = Literal["video", "animation", "video_note"]


@dataclass(frozen=True)
class ImageRef:
    """A usable image: Telegram keeps the bytes, we keep its file id."""

    file_id: str


@dataclass(frozen=True)
class Refusal:
    """Why a message cannot be used: a locale key and its arguments."""

    key: str
    args: dict[str, int] = field(default_factory=dict)


def image_in(message: Message, max_bytes: int) -> ImageRef | Refusal:
    """The image a message carries: a compressed photo or an image sent as a file."""
    if message.photo:
        photo = message.photo[-1]  # the largest size Telegram made
        if photo.file_size and photo.file_size > max_bytes:
            return too_large(max_bytes)
        return ImageRef(photo.file_id)
    doc = message.document
    if doc is None:
        return Refusal("not-an-image")
    mime = (doc.mime_type or "").lower()
    name = (doc.file_name or "").lower()
    if mime not in SUPPORTED_TYPES and not name.endswith(SUPPORTED_SUFFIXES):
        # An image in a format we do not take (GIF, SVG...) deserves a different answer.
        return Refusal("unsupported-image" if mime.startswith("image/") else "not-an-image")
    if doc.file_size and doc.file_size > max_bytes:
        return too_large(max_bytes)
    return ImageRef(doc.file_id)


@dataclass(frozen=True)
class ClipRef:
    """A usable clip: its file id and the kind of message it came as."""

    file_id: str
    kind: ClipKind


def carries_clip(message: Message) -> bool:
    """Whether the message is a clip (routes it to the clip handler)."""
    if message.video or message.animation or message.video_note:
        return True
    doc = message.document
    if doc is None:
        return False
    mime, name = (doc.mime_type or "").lower(), (doc.file_name or "").lower()
    return mime in CLIP_TYPES or name.endswith(CLIP_SUFFIXES)


def clip_in(message: Message, max_bytes: int) -> ClipRef | Refusal:
    """The clip a message carries: a video, a GIF animation, a video note or a clip file."""
    # An animation comes with a document too: the animation says what it is.
    media = message.video_note or message.animation or message.video or message.document
    if media is None or not carries_clip(message):
        return Refusal("not-an-image")
    if media.file_size and media.file_size > max_bytes:
        return too_large(max_bytes)
    kind: ClipKind = "video"
    if message.video_note:
        kind = "video_note"
    elif message.animation or (message.document and message.document.mime_type == "image/gif"):
        kind = "animation"
    return ClipRef(media.file_id, kind)


def too_large(max_bytes: int) -> Refusal:
    return Refusal("file-too-large", {"mb": max_bytes // (1024 * 1024)})


class InputRefused(Exception):
    """A user's image could not be fetched from Telegram; `refusal` says what to tell them."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.key)
        self.refusal = refusal


async def download(bot: Bot, file_id: str, max_bytes: int) -> bytes:
    """The image's bytes, held in memory for the job only."""
    try:
        buffer = await bot.download(file_id, destination=io.BytesIO())
    except TelegramBadRequest as exc:
        if "too big" in exc.message.lower():  # the Bot API's getFile limit (20 MB)
            raise InputRefused(too_large(max_bytes)) from None
        raise
    except (aiohttp.ClientError, TimeoutError) as exc:
        # aiohttp's error text holds the file URL, which holds the bot token: drop it.
        log.warning("download from Telegram failed: %s", type(exc).__name__)
        raise InputRefused(Refusal("download-failed")) from None
    data = buffer.getvalue() if isinstance(buffer, io.BytesIO) else b""
    if len(data) > max_bytes:
        raise InputRefused(too_large(max_bytes))
    return data


class AlbumCollector:
    """Telegram delivers an album as separate messages sharing a media_group_id, with no
    end marker. The first message's handler waits until the group has been quiet for
    `quiet_s` and gets all of them; the handlers of the others get None and do nothing.
    Waiting inside the handler (not in a task of our own) keeps errors in the error router.
    """

    def __init__(self, quiet_s: float = 1.0) -> None:
        self.quiet_s = quiet_s
        self._groups: dict[str, tuple[list[Message], asyncio.Event]] = {}

    async def collect(self, message: Message) -> list[Message] | None:
        group = message.media_group_id or ""
        if group in self._groups:
            messages, arrived = self._groups[group]
            messages.append(message)
            arrived.set()
            return None
        messages, arrived = [message], asyncio.Event()
        self._groups[group] = (messages, arrived)
        try:
            while True:
                arrived.clear()
                try:
                    await asyncio.wait_for(arrived.wait(), self.quiet_s)
                except TimeoutError:
                    break  # quiet long enough: the album is complete
        finally:
            del self._groups[group]
        return sorted(messages, key=lambda m: m.message_id)

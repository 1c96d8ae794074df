"""Which Telegram messages carry an image we can use, and albums gathered into one update."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiogram.types import Message

IMAGE_TYPES = {
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/heic",
    "image/heif",
    "image/bmp",
    "image/tiff",
}
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".bmp", ".tif", ".tiff")


def image_file(message: Message, max_bytes: int) -> tuple[str | None, str | None]:
    """(file_id, None) for a usable image; (None, message key) saying why not otherwise."""
    if message.photo:
        photo = message.photo[-1]  # the largest size Telegram made
        if photo.file_size and photo.file_size > max_bytes:
            return None, "file-too-large"
        return photo.file_id, None
    doc = message.document
    if doc is None:
        return None, "not-an-image"
    name = (doc.file_name or "").lower()
    if (doc.mime_type or "") not in IMAGE_TYPES and not name.endswith(IMAGE_SUFFIXES):
        return None, "not-an-image"
    if doc.file_size and doc.file_size > max_bytes:
        return None, "file-too-large"
    return doc.file_id, None


class AlbumCollector:
    """Gathers the messages of one media group, then hands them over together."""

    def __init__(self, wait_s: float = 1.0) -> None:
        self.wait_s = wait_s
        self._groups: dict[str, list[Message]] = {}
        self.tasks: set[asyncio.Task] = set()

    def add(
        self, message: Message, on_complete: Callable[[list[Message]], Awaitable[None]]
    ) -> None:
        group = message.media_group_id
        assert group is not None
        first = group not in self._groups
        self._groups.setdefault(group, []).append(message)
        if first:
            task = asyncio.create_task(self._flush(group, on_complete))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _flush(
        self, group: str, on_complete: Callable[[list[Message]], Awaitable[None]]
    ) -> None:
        await asyncio.sleep(self.wait_s)
        messages = sorted(self._groups.pop(group, []), key=lambda m: m.message_id)
        await on_complete(messages)

"""The status message of a job: its text, and edits in place that respect Telegram's limits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable
from types import TracebackType

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardMarkup

from bot.api_client import Job
from bot.i18n import Translator

log = logging.getLogger("bot.progress")


def progress_text(job: Job, t: Translator) -> str:
    """ "In the queue: 2 ahead" or "Painting… 42%", with the ETA when the service knows it."""
    if job.status == "queued":
        text = t("queued", position=job.queue_position or 0)
    elif job.kind == "clip" and job.total_steps:
        text = t("running-clip", frame=job.step, frames=max(job.step, job.total_steps))
    else:
        text = t("running", percent=math.floor(job.progress * 100))
    if job.eta_seconds is not None and not job.done:
        text += "\n" + eta_text(job.eta_seconds, t)
    return text


def eta_text(seconds: float, t: Translator) -> str:
    # Coarse steps, so that a ticking ETA does not force an edit every time.
    if seconds < 60:
        return t("eta-seconds", seconds=max(5, 5 * math.ceil(seconds / 5)))
    return t("eta-minutes", minutes=math.ceil(seconds / 60))


class StatusMessage:
    """One message edited in place: at most one edit per `interval_s`, none without a change.

    `show()` only records the wanted text; a painter task applies the latest one when the
    interval allows, so a burst of progress events costs one edit, and the last of them is
    never lost. Use as `async with`; `finish()` makes the final edit.
    """

    def __init__(
        self,
        bot: Bot,
        chat_id: int,
        message_id: int,
        text: str,
        *,
        interval_s: float,
        tasks: set[asyncio.Task[None]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bot, self.chat_id, self.message_id = bot, chat_id, message_id
        self.interval_s = interval_s
        self._tasks = tasks
        self._clock = clock
        self._shown = text
        self._wanted: tuple[str, InlineKeyboardMarkup | None] = (text, None)
        self._last_edit = clock()  # the message was just sent
        self._changed = asyncio.Event()
        self._painter: asyncio.Task[None] | None = None

    async def __aenter__(self) -> StatusMessage:
        self._painter = asyncio.create_task(self._paint())
        self._tasks.add(self._painter)
        self._painter.add_done_callback(self._tasks.discard)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._painter is not None:
            self._painter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._painter

    def show(self, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        self._wanted = (text, markup)
        if text != self._shown:
            self._changed.set()

    async def finish(self, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        """The final text (no painter running): waits out the interval, then edits."""
        await self._wait_turn()
        await self._edit(text, markup)

    async def _paint(self) -> None:
        while True:
            await self._changed.wait()
            await self._wait_turn()
            self._changed.clear()
            await self._edit(*self._wanted)

    async def _wait_turn(self) -> None:
        await asyncio.sleep(max(0.0, self._last_edit + self.interval_s - self._clock()))

    async def _edit(self, text: str, markup: InlineKeyboardMarkup | None) -> None:
        if text == self._shown:
            return
        self._last_edit = self._clock()
        try:
            await self.bot.edit_message_text(
                text=text, chat_id=self.chat_id, message_id=self.message_id, reply_markup=markup
            )
        except TelegramBadRequest as exc:  # the user deleted it: nothing left to edit
            log.debug("status edit refused: %s", exc.message)
        except (TelegramRetryAfter, TelegramNetworkError, TelegramServerError) as exc:
            # Flood control or failures beyond what TelegramRetries waits out: a progress edit
            # is not worth failing the job over; the next change tries again.
            log.info("status edit skipped: %s", exc.message)
            return
        self._shown = text

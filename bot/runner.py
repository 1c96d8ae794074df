"""Running a stylization for a user: submit, show progress in one edited message, send results."""

from __future__ import annotations

import asyncio
import io
import logging
import secrets
import time
from dataclasses import dataclass, replace

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile

from bot.api_client import Job, ServiceError, StylizeClient
from bot.i18n import Translator
from bot.keyboards import cancel_job_keyboard, result_keyboard
from bot.limits import UserLimits
from bot.preferences import Preferences

log = logging.getLogger("bot.runner")
FAST_METHODS = ("feedforward", "transformer", "gan")


@dataclass(frozen=True)
class Request:
    """What to stylize: Telegram file ids (Telegram keeps the bytes), a preset, the options."""

    chat_id: int
    user_id: int
    content_file_id: str
    style_file_id: str | None = None
    preset: str | None = None
    prefs: Preferences = Preferences()
    strength_factor: float = 1.0
    method: str = "gatys"


class JobRunner:
    def __init__(
        self,
        bot: Bot,
        client: StylizeClient,
        limits: UserLimits,
        *,
        edit_interval_s: float = 2.0,
        keep_s: float = 3600.0,
    ) -> None:
        self.bot = bot
        self.client = client
        self.limits = limits
        self.edit_interval_s = edit_interval_s
        self.keep_s = keep_s
        self.tasks: set[asyncio.Task] = set()
        self._kept: dict[str, tuple[Request, float]] = {}
        self._fast_methods: dict[str, str] = {}

    async def fast_method_for(self, preset: str | None) -> str | None:
        if preset is None:
            return None
        if not self._fast_methods:
            try:
                for style in await self.client.styles():
                    fast = [m for m in FAST_METHODS if m in style.methods]
                    self._fast_methods[style.id] = fast[0] if fast else ""
            except ServiceError:
                return None
        return self._fast_methods.get(preset) or None

    async def start(self, request: Request, t: Translator) -> None:
        """Check the user's limits, submit the job and follow it in the background."""
        if self.limits.busy(request.user_id):
            await self.bot.send_message(request.chat_id, t("busy"))
            return
        wait = self.limits.minutes_until_allowed(request.user_id)
        if wait:
            await self.bot.send_message(
                request.chat_id, t("hourly-limit", limit=self.limits.per_hour, minutes=wait)
            )
            return
        self.limits.begin(request.user_id)
        try:
            content = await self._download(request.content_file_id)
            style = await self._download(request.style_file_id) if request.style_file_id else None
            options = request.prefs.options(request.method, request.strength_factor)
            job = await self.client.create_job(content, style, request.preset, options)
        except ServiceError as exc:
            self.limits.end(request.user_id)
            await self.bot.send_message(request.chat_id, service_message(exc, t))
            return
        except BaseException:
            self.limits.end(request.user_id)
            raise
        status = await self.bot.send_message(
            request.chat_id, progress_text(job, t), reply_markup=cancel_job_keyboard(job.id, t)
        )
        task = asyncio.create_task(self._watch(request, job, status.message_id, t))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def cancel(self, job_id: str) -> None:
        await self.client.cancel(job_id)

    def keep(self, request: Request) -> str:
        now = time.monotonic()
        for token in [k for k, (_, expiry) in self._kept.items() if expiry < now]:
            del self._kept[token]
        token = secrets.token_urlsafe(8)
        self._kept[token] = (request, now + self.keep_s)
        return token

    def kept(self, token: str) -> Request | None:
        entry = self._kept.get(token)
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    async def shutdown(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    # -- the background part -------------------------------------------------------------

    async def _watch(self, request: Request, job: Job, message_id: int, t: Translator) -> None:
        try:
            final = await self._follow(request.chat_id, message_id, job, t)
            await self._report(request, final, message_id, t)
        except ServiceError as exc:
            await self._edit(request.chat_id, message_id, service_message(exc, t))
        finally:
            self.limits.end(request.user_id)

    async def _follow(self, chat_id: int, message_id: int, job: Job, t: Translator) -> Job:
        last_text, last_edit = progress_text(job, t), 0.0
        async for update in self.client.follow(job.id):
            job = update
            text = progress_text(job, t)
            due = time.monotonic() - last_edit >= self.edit_interval_s
            if not job.done and text != last_text and due:
                # Telegram allows about one edit per second per chat: edit only on change, spaced.
                await self._edit(chat_id, message_id, text, cancel_job_keyboard(job.id, t))
                last_text, last_edit = text, time.monotonic()
        return job

    async def _report(self, request: Request, job: Job, message_id: int, t: Translator) -> None:
        chat = request.chat_id
        if job.status == "cancelled":
            await self._edit(chat, message_id, t("job-cancelled"))
            return
        if job.status != "succeeded":
            await self._edit(chat, message_id, t("failed", reason=job.error or "?"))
            return
        image = await self.client.result(job.id)
        await self._edit(chat, message_id, t("done"))
        token = self.keep(request)
        preview = request.method != "gatys"
        caption = t("preview-ready") if preview else None
        await self.bot.send_photo(
            chat,
            BufferedInputFile(image, "result.png"),
            caption=caption,
            reply_markup=result_keyboard(token, t, full=preview),
        )
        await self.bot.send_document(
            chat, BufferedInputFile(image, "stylized.png"), caption=t("result-file")
        )

    async def _edit(self, chat_id: int, message_id: int, text: str, markup=None) -> None:
        try:
            await self.bot.edit_message_text(
                text=text, chat_id=chat_id, message_id=message_id, reply_markup=markup
            )
        except TelegramBadRequest as exc:  # "message is not modified" and the like
            log.debug("edit skipped: %s", exc.message)

    async def _download(self, file_id: str) -> bytes:
        buf = io.BytesIO()
        await self.bot.download(file_id, destination=buf)
        return buf.getvalue()


def again(request: Request, action: str) -> Request:
    """The request behind a result button: same inputs, stronger, weaker or full quality."""
    factor = {"stronger": 2.0, "weaker": 0.5}.get(action, 1.0)
    return replace(
        request,
        strength_factor=request.strength_factor * factor,
        method="gatys" if action in ("full", "stronger", "weaker") else request.method,
    )


def progress_text(job: Job, t: Translator) -> str:
    if job.status == "queued":
        return t("queued", position=job.queue_position or 0)
    text = t("running", percent=round(job.progress * 100))
    if job.eta_seconds is not None and job.status == "running":
        text += " · " + t("eta", seconds=max(1, round(job.eta_seconds)))
    return text


def service_message(exc: ServiceError, t: Translator) -> str:
    if exc.status is None or exc.status >= 500 and exc.status != 503:
        return t("service-down")
    if exc.status in (503, 429):
        return t("service-busy")
    if exc.status in (413, 415, 422):
        return t("service-refused", reason=str(exc))
    return t("error-generic")

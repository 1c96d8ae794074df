"""A user's stylization: limits, submit, progress in one edited message, results, buttons."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, replace
from typing import Literal

from aiogram import Bot
from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramEntityTooLarge
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup

from bot.api_client import Job, ServiceError, StylizeClient
from bot.catalog import ANY_PAINTING_PREFERENCE
from bot.i18n import Translator
from bot.kept import Kept
from bot.keyboards import cancel_job_keyboard, result_keyboard
from bot.limits import UserLimits
from bot.media import ClipKind, InputRefused, download
from bot.preferences import Preferences
from bot.progress import StatusMessage, progress_text

log = logging.getLogger("bot.runner")


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
    init: str | None = None  # None: the service's default start
    clip: ClipKind | None = None  # the content is a clip that came as this kind of message


# A video note is a square of at most 640 px, and the painted one goes back as a video note:
# "best" quality (768 px) becomes "balanced" (512 px) for it; "fast" (384 px) fits as it is.
VIDEO_NOTE_QUALITY = "balanced"
_CLIP_SENDERS: dict[ClipKind, Literal["send_video", "send_animation", "send_video_note"]] = {
    "video": "send_video",
    "animation": "send_animation",
    "video_note": "send_video_note",
}


class JobRunner:
    def __init__(
        self,
        bot: Bot,
        client: StylizeClient,
        limits: UserLimits,
        results: Kept[Request],
        *,
        edit_interval_s: float = 2.0,
        max_file_bytes: int = 20 * 1024 * 1024,
    ) -> None:
        self.bot, self.client, self.limits, self.results = bot, client, limits, results
        self.edit_interval_s = edit_interval_s
        self.max_file_bytes = max_file_bytes
        self.tasks: set[asyncio.Task[None]] = set()  # every watcher and painter, for shutdown
        self._owners: dict[str, int] = {}  # running job id -> user id

    def refusal(self, user_id: int, t: Translator, *, busy_too: bool = True) -> str | None:
        """Why this user may not start a job now, as a message; None if they may."""
        if busy_too and self.limits.busy(user_id):
            return t("busy")
        wait = self.limits.minutes_until_allowed(user_id)
        return t("hourly-limit", limit=self.limits.per_hour, minutes=wait) if wait else None

    async def start(self, request: Request, t: Translator) -> None:
        """Submit the job, then follow it in a background task (kept in `tasks`)."""
        if text := self.refusal(request.user_id, t):
            await self.bot.send_message(request.chat_id, text)
            return
        self.limits.begin(request.user_id)  # no await since the check: no race
        job = None
        try:
            first = t("uploading")
            sent = await self.bot.send_message(request.chat_id, first)
            status = self._status(request.chat_id, sent.message_id, first)
            try:
                job = await self._submit(request)
            except ServiceError as exc:
                await status.finish(service_message(exc, t))
            except InputRefused as exc:
                await status.finish(t(exc.refusal.key, **exc.refusal.args))
        finally:
            if job is None:
                self.limits.end(request.user_id, refund=True)
        if job is not None:
            self._owners[job.id] = request.user_id
            task = asyncio.create_task(self._watch(request, job, status, t))
            self.tasks.add(task)
            task.add_done_callback(self._finished)

    def job_of(self, user_id: int) -> str | None:
        return next((job for job, owner in self._owners.items() if owner == user_id), None)

    async def cancel(self, user_id: int, job_id: str | None = None) -> bool:
        """Cancel the user's running job in the service; False if they have none such."""
        job_id = job_id or self.job_of(user_id)
        if job_id is None or self._owners.get(job_id) != user_id:
            return False
        await self.client.cancel(job_id)
        return True  # the watcher sees "cancelled" and says so

    async def shutdown(self) -> None:
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- the background part -------------------------------------------------------------

    def _status(self, chat_id: int, message_id: int, text: str) -> StatusMessage:
        return StatusMessage(
            self.bot, chat_id, message_id, text, interval_s=self.edit_interval_s, tasks=self.tasks
        )

    async def _submit(self, request: Request) -> Job:
        limit = self.max_file_bytes
        content = await download(self.bot, request.content_file_id, limit)
        style = (
            await download(self.bot, request.style_file_id, limit)
            if request.style_file_id
            else None
        )
        options = request.prefs.options(request.method, request.strength_factor, request.init)
        if request.clip is not None:  # the service answers a clip of the kind it was sent
            note = request.clip == "video_note" and options.quality == "best"
            options = replace(
                options, format=None, quality=VIDEO_NOTE_QUALITY if note else options.quality
            )
        return await self.client.create_job(content, style, request.preset, options)

    async def _watch(
        self, request: Request, job: Job, status: StatusMessage, t: Translator
    ) -> None:
        cancel = cancel_job_keyboard(job.id, t)
        try:
            async with status:
                status.show(progress_text(job, t), cancel)
                async with contextlib.aclosing(self.client.follow(job.id)) as updates:
                    async for job in updates:  # the last one seen is the final state
                        status.show(progress_text(job, t), cancel)
            await self._report(request, job, status, t)
        except ServiceError as exc:
            await status.finish(service_message(exc, t))
        finally:
            self._release(request.user_id, job.id)

    def _release(self, user_id: int, job_id: str) -> None:
        self._owners.pop(job_id, None)
        self.limits.end(user_id)

    async def _report(
        self, request: Request, job: Job, status: StatusMessage, t: Translator
    ) -> None:
        if job.status == "cancelled":
            await status.finish(t("job-cancelled"))
            return
        if job.status != "succeeded":
            await status.finish(t("failed", reason=job.error or "?"))
            return
        image = await self.client.result(job.id)
        self._release(request.user_id, job.id)  # free for Stronger/Weaker as the result lands
        if request.clip is not None:
            await self._send_clip(request, image, status, t)
            return
        await self.bot.send_chat_action(request.chat_id, ChatAction.UPLOAD_PHOTO)
        preview = request.method != "gatys"
        buttons = result_keyboard(self.results.put(request), t, full=preview)
        caption = t("preview-ready" if preview else "result-ready")
        photo_sent = await self._send_photo(request.chat_id, image, caption, buttons)
        await self.bot.send_document(
            request.chat_id,
            BufferedInputFile(image, "stylized.png"),
            caption=t("result-file"),
            reply_markup=None if photo_sent else buttons,  # the buttons go somewhere
        )
        await status.finish(t("done"))

    async def _send_clip(
        self, request: Request, clip: bytes, status: StatusMessage, t: Translator
    ) -> None:
        """The painted clip as the kind of message it came as: video, animation, video note."""
        kind = request.clip or "video"
        name = "stylized.gif" if clip[:3] == b"GIF" else "stylized.mp4"
        upload = BufferedInputFile(clip, name)
        action = ChatAction.UPLOAD_VIDEO_NOTE if kind == "video_note" else ChatAction.UPLOAD_VIDEO
        await self.bot.send_chat_action(request.chat_id, action)
        send = getattr(self.bot, _CLIP_SENDERS[kind])
        extra = {} if kind == "video_note" else {"caption": t("clip-ready")}
        if kind == "video":
            extra["supports_streaming"] = True
        try:
            await send(request.chat_id, upload, **extra)
        except TelegramEntityTooLarge:  # bots send at most 50 MB
            await status.finish(t("clip-too-large-to-send"))
            return
        await status.finish(t("done"))

    async def _send_photo(
        self, chat_id: int, image: bytes, caption: str, buttons: InlineKeyboardMarkup
    ) -> bool:
        try:
            await self.bot.send_photo(
                chat_id,
                BufferedInputFile(image, "stylized.png"),
                caption=caption,
                reply_markup=buttons,
            )
        except (TelegramBadRequest, TelegramEntityTooLarge) as exc:
            # Photos are capped (10 MB, 10000 px in total); the document still goes out.
            log.info("result not sendable as a photo: %s", exc.message)
            return False
        return True

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            if isinstance(exc, TelegramAPIError):  # the user blocked the bot, or the like
                log.warning("could not reach a user: %s", exc.message)
            else:
                log.error("job watcher failed", exc_info=exc)


def again(request: Request, action: str) -> Request:
    """The request behind a result button: the same images, stronger, weaker or full quality."""
    factor = {"stronger": 2.0, "weaker": 0.5}.get(action, 1.0)
    # Full quality after an instant preview refines that preview: Gatys starts from the
    # trained model's output and runs a shorter schedule. Any other change starts from the
    # photo. The per-style nets have one fixed strength, so every change means Gatys; the
    # ones that read any painting move their features by the strength, so Again, Stronger
    # and Weaker stay instant with them.
    init = "preview" if action == "full" and request.method != "gatys" else None
    keeps = request.method in ANY_PAINTING_PREFERENCE and action != "full"
    return replace(
        request,
        strength_factor=request.strength_factor * factor,
        method=request.method if keeps else "gatys",
        init=init,
    )


def service_message(exc: ServiceError, t: Translator) -> str:
    """What a user is told about a service failure."""
    if exc.status == 503 or exc.status == 429:
        return t("service-busy")
    if exc.unavailable:
        return t("service-down")
    if exc.status in (400, 413, 415, 422):
        return t("service-refused", reason=exc.detail)
    return t("error-generic")

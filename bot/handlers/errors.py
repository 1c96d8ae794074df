"""What the user sees when a handler fails; the error router decides by exception type."""

from __future__ import annotations

import contextlib
import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError, TelegramRetryAfter
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent, User

from bot.api_client import ServiceError
from bot.i18n import translator_for
from bot.runner import service_message

log = logging.getLogger("bot.errors")


def _chat_of(event: ErrorEvent) -> int | None:
    update = event.update
    if update.message:
        return update.message.chat.id
    if update.callback_query:
        query = update.callback_query
        return query.message.chat.id if query.message else query.from_user.id
    return None


async def _tell(event: ErrorEvent, bot: Bot, text: str) -> None:
    chat = _chat_of(event)
    # Telling the user is best effort: if Telegram fails here too, the log has the cause.
    with contextlib.suppress(TelegramAPIError):
        if event.update.callback_query:
            await event.update.callback_query.answer()
        if chat is not None:
            await bot.send_message(chat, text)


async def service_error(event: ErrorEvent, bot: Bot, event_from_user: User | None = None) -> None:
    exc = event.exception
    assert isinstance(exc, ServiceError)
    log.warning("service error: %s (HTTP %s)", exc.detail, exc.status)
    await _tell(event, bot, service_message(exc, translator_for(event_from_user)))


async def user_unreachable(event: ErrorEvent) -> None:
    # Blocked the bot or left the chat: there is nobody to tell.
    log.info("user unreachable: %s", event.exception)


async def flooded(event: ErrorEvent) -> None:
    # Flood control longer than we wait (middlewares.TelegramRetries): more makes it worse.
    log.warning("dropped a reply under Telegram flood control: %s", event.exception)


async def any_error(event: ErrorEvent, bot: Bot, event_from_user: User | None = None) -> None:
    log.error("handler failed", exc_info=event.exception)
    await _tell(event, bot, translator_for(event_from_user)("error-generic"))


def make_router() -> Router:
    """A fresh router: aiogram attaches a router to one dispatcher only."""
    router = Router(name="errors")
    router.error.register(service_error, ExceptionTypeFilter(ServiceError))
    router.error.register(user_unreachable, ExceptionTypeFilter(TelegramForbiddenError))
    router.error.register(flooded, ExceptionTypeFilter(TelegramRetryAfter))
    router.error.register(any_error)
    return router

"""What the user sees when a handler fails."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent

from bot.api_client import ServiceError
from bot.i18n import translator_for
from bot.runner import service_message

log = logging.getLogger("bot.errors")


def _chat_and_user(event: ErrorEvent):
    update = event.update
    if update.message:
        return update.message.chat.id, update.message.from_user
    if update.callback_query:
        query = update.callback_query
        return (query.message.chat.id if query.message else query.from_user.id), query.from_user
    return None, None


async def service_error(event: ErrorEvent, bot: Bot) -> None:
    chat_id, user = _chat_and_user(event)
    log.warning("service error: %s", event.exception)
    if chat_id is not None:
        t = translator_for(user)
        await bot.send_message(chat_id, service_message(event.exception, t))  # type: ignore[arg-type]


async def any_error(event: ErrorEvent, bot: Bot) -> None:
    chat_id, user = _chat_and_user(event)
    log.error("handler failed", exc_info=event.exception)
    if chat_id is not None:
        await bot.send_message(chat_id, translator_for(user)("error-generic"))


def make_router() -> Router:
    """A fresh router: aiogram attaches a router to one dispatcher only."""
    router = Router(name="errors")
    router.error.register(service_error, ExceptionTypeFilter(ServiceError))
    router.error.register(any_error)
    return router

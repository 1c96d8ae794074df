"""Middlewares: the user's translator for every update; Telegram's flood control waited out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import TelegramObject

from bot.i18n import translator_for

log = logging.getLogger("bot.telegram")


class I18nMiddleware(BaseMiddleware):
    """Gives every handler `t`, the translator for the user who sent the update."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        data["t"] = translator_for(data.get("event_from_user"))
        return await handler(event, data)


class RetryAfter(BaseRequestMiddleware):
    """On a 429, wait the `retry_after` Telegram asks for and send again; bounded both ways."""

    def __init__(self, attempts: int = 3, max_wait_s: float = 60.0) -> None:
        self.attempts = attempts
        self.max_wait_s = max_wait_s

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt == self.attempts or exc.retry_after > self.max_wait_s:
                    raise
                log.warning(
                    "Telegram flood control on %s: waiting %s s",
                    type(method).__name__,
                    exc.retry_after,
                )
                await asyncio.sleep(exc.retry_after)
        raise AssertionError("unreachable")

"""Middlewares: the user's translator for every update; Telegram's flood control and
failures waited out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import GetUpdates, TelegramMethod
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


class TelegramRetries(BaseRequestMiddleware):
    """Sends a Bot API call again when Telegram asks for it, bounded both ways.

    429: wait the `retry_after` Telegram names. 5xx or a network error: Telegram's side
    failed; back off (0.5, 1, 2 s...) and send again. A 5xx may hide a message that was
    delivered after all: a rare duplicate is better than a result the user never gets.
    """

    def __init__(
        self, attempts: int = 4, max_wait_s: float = 60.0, first_backoff_s: float = 0.5
    ) -> None:
        self.attempts = attempts
        self.max_wait_s = max_wait_s
        self.first_backoff_s = first_backoff_s

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        name = type(method).__name__
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt == self.attempts or exc.retry_after > self.max_wait_s:
                    raise
                log.warning("Telegram flood control on %s: waiting %s s", name, exc.retry_after)
                await asyncio.sleep(exc.retry_after)
            except (TelegramServerError, TelegramNetworkError) as exc:
                if attempt == self.attempts or isinstance(method, GetUpdates):
                    raise  # polling has its own backoff; a long poll is not worth repeating
                wait = self.first_backoff_s * 2 ** (attempt - 1)
                # The error names the host at most, never the URL with the token.
                log.warning("Telegram failed on %s (%s): again in %.1f s", name, exc, wait)
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")

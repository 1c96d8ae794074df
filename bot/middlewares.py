"""Bot API request middleware: wait out Telegram's flood control (429 retry_after), bounded."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType

log = logging.getLogger("bot.telegram")


class RetryAfter(BaseRequestMiddleware):
    def __init__(self, attempts: int = 3, max_wait_s: float = 60.0) -> None:
        self.attempts = attempts
        self.max_wait_s = max_wait_s

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        for attempt in range(self.attempts):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt == self.attempts - 1 or exc.retry_after > self.max_wait_s:
                    raise
                log.warning("telegram flood control: waiting %ss", exc.retry_after)
                await asyncio.sleep(exc.retry_after)
        raise AssertionError("unreachable")

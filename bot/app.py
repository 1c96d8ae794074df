"""Wiring: settings, Bot, Dispatcher, routers, the service client, the job runner."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage

from bot.api_client import StylizeClient
from bot.handlers import errors, start, stylize
from bot.handlers import settings as settings_handlers
from bot.i18n import I18nMiddleware
from bot.limits import UserLimits
from bot.media import AlbumCollector
from bot.middlewares import RetryAfter
from bot.runner import JobRunner
from bot.settings import BotSettings


@dataclass
class BotApp:
    bot: Bot
    dispatcher: Dispatcher
    client: StylizeClient
    runner: JobRunner
    albums: AlbumCollector

    async def close(self) -> None:
        await self.runner.shutdown()
        for task in list(self.albums.tasks):
            task.cancel()
        await self.client.close()
        await self.bot.session.close()


def make_storage(redis_url: str | None) -> BaseStorage:
    if redis_url:
        from aiogram.fsm.storage.redis import RedisStorage

        return RedisStorage.from_url(redis_url)
    return MemoryStorage()


def build(settings: BotSettings, album_wait_s: float = 1.0) -> BotApp:
    session = AiohttpSession()
    if settings.telegram_api_base:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_base))
    session.middleware(RetryAfter())
    bot = Bot(
        settings.telegram_bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
    key = settings.api_key.get_secret_value() if settings.api_key else None
    client = StylizeClient.create(settings.stylize_api_url, key)
    runner = JobRunner(
        bot,
        client,
        UserLimits(settings.bot_jobs_per_hour),
        edit_interval_s=settings.bot_edit_interval_s,
        keep_s=settings.bot_result_ttl_s,
    )
    albums = AlbumCollector(album_wait_s)
    dp = Dispatcher(
        storage=make_storage(settings.redis_url),
        api=client,
        runner=runner,
        albums=albums,
        max_file_bytes=settings.bot_max_file_bytes,
    )
    dp.update.outer_middleware(I18nMiddleware())
    # Order matters: commands and settings before the catch-all media and text handlers.
    dp.include_routers(
        start.make_router(),
        settings_handlers.make_router(),
        stylize.make_router(),
        errors.make_router(),
    )
    return BotApp(bot, dp, client, runner, albums)

"""Wiring: Bot, Dispatcher, routers, the service client, the runner; polling or a webhook."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import BotCommand

from bot.api_client import StylizeClient
from bot.catalog import Catalog
from bot.handlers import errors, jobs, start, stylize
from bot.handlers import settings as settings_handlers
from bot.i18n import DEFAULT, LANGUAGES, Translator
from bot.kept import Kept
from bot.limits import UserLimits
from bot.media import AlbumCollector
from bot.middlewares import I18nMiddleware, TelegramRetries
from bot.runner import JobRunner
from bot.settings import BotSettings

log = logging.getLogger("bot")
COMMANDS = ("start", "styles", "settings", "cancel", "help")


@dataclass
class BotApp:
    settings: BotSettings
    bot: Bot
    dispatcher: Dispatcher
    client: StylizeClient
    runner: JobRunner

    async def run_polling(self, *, handle_signals: bool = True) -> None:
        """Long polling until stopped (a signal, or `dispatcher.stop_polling()`)."""
        try:
            await self._until_telegram_answers(lambda: self.bot.delete_webhook())
            await self.dispatcher.start_polling(
                self.bot, handle_signals=handle_signals, close_bot_session=False
            )
        finally:
            await self.close()

    async def run_webhook(self, stop: asyncio.Event | None = None) -> None:
        """Serve Telegram's webhook calls until `stop` is set (or SIGINT/SIGTERM)."""
        from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
        from aiohttp import web

        stop = stop or _stop_on_signals()
        s = self.settings
        secret = s.bot_webhook_secret.get_secret_value() if s.bot_webhook_secret else None
        web_app = web.Application()
        handler = SimpleRequestHandler(self.dispatcher, self.bot, secret_token=secret)
        handler.register(web_app, path=s.webhook_path)
        setup_application(web_app, self.dispatcher, bot=self.bot)
        runner = web.AppRunner(web_app)
        try:
            await self._until_telegram_answers(
                lambda: self.bot.set_webhook(
                    s.bot_webhook_url or "",
                    secret_token=secret,
                    allowed_updates=self.dispatcher.resolve_used_update_types(),
                )
            )
            await runner.setup()
            await web.TCPSite(runner, s.bot_webhook_host, s.bot_webhook_port).start()
            log.info("webhook server on %s:%s", s.bot_webhook_host, s.bot_webhook_port)
            await stop.wait()
        finally:
            await runner.cleanup()
            await self.close()

    async def close(self) -> None:
        """Stop every job watcher, then close the service client, storage and Bot session."""
        await self.runner.shutdown()
        await self.client.close()
        await self.dispatcher.storage.close()
        await self.bot.session.close()

    async def _until_telegram_answers(
        self, call: Callable[[], Awaitable[object]], max_delay_s: float = 60.0
    ) -> None:
        # Start even when Telegram (or a local Bot API server) is not reachable yet.
        delay = 1.0
        while True:
            try:
                await call()
                return
            except TelegramNetworkError as exc:  # names the host only, never the token
                log.warning("Telegram unreachable (%s); retrying in %.0f s", exc.message, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, max_delay_s)


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(sig, stop.set)
    return stop


async def set_commands(bot: Bot) -> None:
    """The command menu, in each language we speak."""
    for language in LANGUAGES:
        t = Translator(language)
        commands = [BotCommand(command=c, description=t(f"command-{c}")) for c in COMMANDS]
        try:
            # English is the menu for every language we do not speak.
            await bot.set_my_commands(
                commands, language_code=None if language == DEFAULT else language
            )
        except TelegramAPIError as exc:  # a missing menu is no reason not to start
            log.warning("could not set the command menu: %s", exc.message)


def make_storage(redis_url: str | None) -> BaseStorage:
    """Conversation state and settings: in memory, or in Redis when REDIS_URL is set."""
    if redis_url:
        from aiogram.fsm.storage.redis import RedisStorage

        # Settings live under a destiny of their own (bot.preferences): the key needs it.
        return RedisStorage.from_url(redis_url, key_builder=DefaultKeyBuilder(with_destiny=True))
    return MemoryStorage()


def build(settings: BotSettings, storage: BaseStorage | None = None) -> BotApp:
    api = (
        TelegramAPIServer.from_base(settings.telegram_api_base)
        if settings.telegram_api_base
        else None
    )
    session = AiohttpSession(api=api) if api else AiohttpSession()
    session.middleware(TelegramRetries())
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
        Kept(settings.bot_keep_s),
        edit_interval_s=settings.bot_edit_interval_s,
        max_file_bytes=settings.bot_max_file_bytes,
    )
    dp = Dispatcher(
        storage=storage or make_storage(settings.redis_url),
        api=client,
        catalog=Catalog(client),
        runner=runner,
        uploads=Kept[str](settings.bot_keep_s),
        albums=AlbumCollector(settings.bot_album_wait_s),
        max_file_bytes=settings.bot_max_file_bytes,
    )
    dp.update.outer_middleware(I18nMiddleware())
    dp.startup.register(set_commands)
    # Order matters: commands, settings and job buttons before the catch-all input handlers.
    dp.include_routers(
        start.make_router(),
        settings_handlers.make_router(),
        jobs.make_router(),
        stylize.make_router(),
        errors.make_router(),
    )
    return BotApp(settings, bot, dp, client, runner)

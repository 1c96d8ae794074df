"""`python -m bot`: run the Telegram bot (long polling, or a webhook when configured)."""

from __future__ import annotations

import asyncio
import logging
import sys

from aiogram.exceptions import TelegramNetworkError
from aiogram.utils.token import TokenValidationError
from pydantic import ValidationError

from bot.app import BotApp, build
from bot.settings import BotSettings

log = logging.getLogger("bot")


async def wait_for_telegram(app: BotApp, max_delay_s: float = 60.0) -> None:
    """Start even when Telegram (or the local Bot API server) is not reachable yet."""
    delay = 1.0
    while True:
        try:
            await app.bot.delete_webhook(drop_pending_updates=False)
            return
        except TelegramNetworkError as exc:
            # The message names the host only; the token is in the path, never logged.
            log.warning("Telegram unreachable (%s); retrying in %.0f s", exc.message, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_delay_s)


async def run_polling(app: BotApp) -> None:
    try:
        await wait_for_telegram(app)
        await app.dispatcher.start_polling(app.bot, handle_signals=True)
    finally:
        await app.close()


async def run_webhook(app: BotApp, settings: BotSettings) -> None:
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
    from aiohttp import web

    secret = settings.bot_webhook_secret.get_secret_value() if settings.bot_webhook_secret else None
    await app.bot.set_webhook(settings.bot_webhook_url, secret_token=secret)  # type: ignore[arg-type]
    web_app = web.Application()
    SimpleRequestHandler(app.dispatcher, app.bot, secret_token=secret).register(
        web_app, path="/webhook"
    )
    setup_application(web_app, app.dispatcher, bot=app.bot)
    runner = web.AppRunner(web_app)
    await runner.setup()
    await web.TCPSite(runner, settings.bot_webhook_host, settings.bot_webhook_port).start()
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        await app.close()


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = BotSettings()
    except ValidationError as exc:
        fields = ", ".join(str(e["loc"][0]).upper() for e in exc.errors())
        sys.stderr.write(f"bot: invalid or missing settings: {fields} (see README: Telegram bot)\n")
        sys.exit(2)
    try:
        app = build(settings)
    except TokenValidationError:
        sys.stderr.write("bot: TELEGRAM_BOT_TOKEN is empty or not a bot token\n")
        sys.exit(2)
    if settings.bot_webhook_url:
        asyncio.run(run_webhook(app, settings))
    else:
        asyncio.run(run_polling(app))


if __name__ == "__main__":
    main()

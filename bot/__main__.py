"""`python -m bot`: settings from the environment, then long polling or a webhook (bot.app)."""

from __future__ import annotations

import asyncio
import sys
from typing import NoReturn

from aiogram.exceptions import TelegramUnauthorizedError
from aiogram.utils.token import TokenValidationError
from pydantic import ValidationError

from bot.app import build
from bot.logs import setup_logging
from bot.settings import BotSettings


def fail(message: str) -> NoReturn:
    """One line on stderr and exit status 2: no traceback for a configuration mistake."""
    sys.stderr.write(f"bot: {message}\n")
    sys.exit(2)


def main() -> None:
    try:
        settings = BotSettings()
    except ValidationError as exc:
        names = sorted({str(e["loc"][0]).upper() for e in exc.errors() if e["loc"]})
        fail(f"missing or invalid settings: {', '.join(names)} (see README: The Telegram bot)")
    setup_logging(settings.secrets())
    try:
        app = build(settings)
    except TokenValidationError:
        fail("TELEGRAM_BOT_TOKEN is empty or not a bot token (it looks like 123456:ABC-...)")
    try:
        asyncio.run(app.run_webhook() if settings.bot_webhook_url else app.run_polling())
    except TelegramUnauthorizedError:
        fail("Telegram rejected TELEGRAM_BOT_TOKEN (revoked or mistyped?)")
    except KeyboardInterrupt:
        pass  # Ctrl-C during start-up: nothing to clean up that run_* has not


if __name__ == "__main__":
    main()

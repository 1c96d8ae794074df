"""The real bot (bot.app, as `python -m bot` runs it) polling a fake Telegram and talking HTTP
to a service: the fake one here, or any other whose base URL is given to `running_bot`."""

from __future__ import annotations

import asyncio
import contextlib
import io
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram.fsm.storage.base import BaseStorage
from PIL import Image

from bot.app import BotApp, build
from bot.callbacks import StyleChoice
from bot.settings import BotSettings
from tests.bot.fake_service import FakeService
from tests.bot.fake_telegram import Call, FakeTelegram

TOKEN = "123456:SECRET-TOKEN-never-logged"
API_KEY = "service-key-never-logged"


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram(TOKEN)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def service() -> AsyncIterator[FakeService]:
    fake = FakeService(api_key=API_KEY)
    await fake.start()
    yield fake
    await fake.stop()


def bot_settings(telegram: FakeTelegram, service_url: str, **overrides: Any) -> BotSettings:
    values: dict[str, Any] = {
        "telegram_bot_token": TOKEN,
        "telegram_api_base": telegram.base,
        "stylize_api_url": service_url,
        "api_key": API_KEY,
        "bot_edit_interval_s": 0,
        "bot_album_wait_s": 0.3,
    }
    return BotSettings(_env_file=None, **(values | overrides))  # type: ignore[call-arg]


@contextlib.asynccontextmanager
async def running_bot(
    settings: BotSettings, storage: BaseStorage | None = None
) -> AsyncIterator[BotApp]:
    """The bot polling in the background, stopped and closed on exit."""
    app = build(settings, storage)
    app.client.backoff_s = 0.01  # retries stay bounded, and quick
    app.client.poll_s = 0.05
    started = asyncio.Event()

    async def on_startup() -> None:  # polling has begun: stop_polling() is safe from now on
        started.set()

    app.dispatcher.startup.register(on_startup)
    task = asyncio.create_task(app.run_polling(handle_signals=False))
    await asyncio.wait_for(started.wait(), 10)
    try:
        yield app
    finally:
        await app.dispatcher.stop_polling()
        await asyncio.wait_for(task, 10)


@pytest.fixture
async def bot(telegram: FakeTelegram, service: FakeService) -> AsyncIterator[BotApp]:
    async with running_bot(bot_settings(telegram, service.url)) as app:
        yield app


def free_port() -> int:
    """A loopback port nothing listens on (for a service that is down, or comes up later)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def jpeg(seed: int = 0, size: tuple[int, int] = (48, 32)) -> bytes:
    """A small distinct picture."""
    picture = Image.new("RGB", size, (40 * seed % 256, 120, 200))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG")
    return buffer.getvalue()


async def photo_and_preset(telegram: FakeTelegram, preset: str = "the_scream", **user: Any) -> None:
    """A user sends a photo, then taps a preset under the bot's answer."""
    mark = telegram.mark()
    telegram.photo(jpeg(), **user)
    answer = await telegram.wait_for("sendMessage", lambda c: bool(c.buttons()), after=mark)
    assert StyleChoice(preset=preset).pack() in answer.buttons()
    telegram.press(StyleChoice(preset=preset).pack(), **user)


async def finished(
    telegram: FakeTelegram, after: int = 0, done: str = "Done!", timeout: float = 10.0
) -> tuple[Call, Call]:
    """The result photo and document of the next job to finish after position `after`."""
    await telegram.wait_for(
        "editMessageText", lambda c: c.text == done, after=after, timeout=timeout
    )
    photo = await telegram.wait_for("sendPhoto", after=after)
    return photo, await telegram.wait_for("sendDocument", after=after)

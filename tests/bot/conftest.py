"""The real bot, polling a fake Telegram, talking to the service (with a fake engine) over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import socket

import pytest
import uvicorn

from api.main import create_app
from api.settings import Settings
from bot.app import build
from bot.settings import BotSettings
from tests.api.conftest import FakeStylizer
from tests.bot.fake_telegram import FakeTelegram
from tests.conftest import encode, make_photo

TOKEN = "123456:SECRET-TOKEN-never-logged"
API_KEY = "service-key-never-logged"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def serve(app, port: int):
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
def engine() -> FakeStylizer:
    return FakeStylizer(steps=6)


@pytest.fixture
async def service(engine):
    settings = Settings(warm_up=False, api_key=API_KEY, preview_every=0, sync_timeout_s=5)
    async with serve(create_app(settings, stylizer=engine), free_port()) as url:
        yield url


@pytest.fixture
async def telegram():
    fake = FakeTelegram(TOKEN)
    await fake.start()
    yield fake
    await fake.stop()


def bot_settings(telegram: FakeTelegram, service_url: str, **overrides) -> BotSettings:
    return BotSettings(
        telegram_bot_token=TOKEN,
        telegram_api_base=telegram.base,
        stylize_api_url=service_url,
        api_key=API_KEY,
        bot_edit_interval_s=0,
        **overrides,
    )


@contextlib.asynccontextmanager
async def running_bot(settings: BotSettings):
    app = build(settings, album_wait_s=0.3)
    app.client.backoff_s = 0.05
    task = asyncio.create_task(
        app.dispatcher.start_polling(app.bot, handle_signals=False, polling_timeout=1)
    )
    try:
        yield app
    finally:
        with contextlib.suppress(RuntimeError):
            await app.dispatcher.stop_polling()
        await asyncio.wait_for(task, 10)
        await app.close()


@pytest.fixture
async def bot(telegram, service):
    async with running_bot(bot_settings(telegram, service)) as app:
        yield app


def jpeg(seed: int = 0) -> bytes:
    return encode(make_photo(96, 64, seed=seed), "JPEG")

"""The same harness against the real service and engine (tiny size, few steps): the fake
service swapped for a real base URL."""

from __future__ import annotations

import asyncio
import contextlib
import io
import socket
from collections.abc import AsyncIterator

import pytest
from PIL import Image

from bot.callbacks import StyleChoice
from tests.bot.conftest import API_KEY, bot_settings, finished, photo_and_preset, running_bot
from tests.conftest import heic, make_photo

uvicorn = pytest.importorskip("uvicorn")
api_main = pytest.importorskip("api.main")
api_settings = pytest.importorskip("api.settings")
api_fakes = pytest.importorskip("tests.api.conftest")
default_of = pytest.importorskip("core.params").default_of


@contextlib.asynccontextmanager
async def serve(app: object) -> AsyncIterator[str]:
    """An ASGI app on a free loopback port, for as long as the block runs."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()  # connections wait in the backlog until the app has started
    config = uvicorn.Config(app, log_config=None, lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@pytest.mark.slow
async def test_photo_preset_progress_result_with_the_real_engine(telegram):
    settings = api_settings.Settings(
        api_key=API_KEY, device="cpu", max_size=64, max_steps=6, preview_every=0
    )
    async with serve(api_main.create_app(settings)) as url:
        async with running_bot(bot_settings(telegram, url)):
            await photo_and_preset(telegram, "the_scream")
            photo, document = await finished(telegram, timeout=120)
    image = Image.open(io.BytesIO(document.files["document"]))
    assert image.format == "PNG" and max(image.size) == 64
    assert Image.open(io.BytesIO(photo.files["photo"])).size == image.size


async def test_an_iphone_heic_file_is_stylized_by_the_service(telegram):
    fake = api_fakes.FakeStylizer()
    settings = api_settings.Settings(api_key=API_KEY, max_size=64, warm_up=False)
    async with serve(api_main.create_app(settings, stylizer=fake)) as url:
        async with running_bot(bot_settings(telegram, url)):
            telegram.document(heic(make_photo(96, 64)), "IMG_0001.HEIC", "image/heic")
            await telegram.wait_text("Now pick a painting")
            telegram.press(StyleChoice(preset="the_scream").pack())
            _, document = await finished(telegram, timeout=30)
    assert fake.contents[-1].size == (96, 64)  # the service decoded the HEIC itself
    assert Image.open(io.BytesIO(document.files["document"])).size == (64, 43)


async def test_the_bot_sends_only_fields_each_method_uses(telegram):
    """The quick preview (a trained model) and the full-quality run (Gatys) are both accepted
    by the real service, which refuses fields a method does not use."""
    fake = api_fakes.FakeStylizer()  # a trained model for starry_night, as the engine has
    settings = api_settings.Settings(api_key=API_KEY, max_size=64, warm_up=False)
    async with serve(api_main.create_app(settings, stylizer=fake)) as url:
        async with running_bot(bot_settings(telegram, url)):
            await photo_and_preset(telegram, "starry_night")
            preview, _ = await finished(telegram, timeout=30)
            assert "quick preview" in preview.text
            full = next(d for d in preview.buttons() if d.startswith("res:full"))
            mark = telegram.mark()
            telegram.press(full)
            await finished(telegram, after=mark, timeout=30)
    assert [(p.method, p.init) for p in fake.calls] == [
        ("feedforward", default_of("init")),  # the bot sends no init: the default
        ("gatys", "preview"),
    ]

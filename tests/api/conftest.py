"""An app built from the factory with a fake stylizer, and an httpx client over ASGI."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import httpx
import pytest
from asgi_lifespan import LifespanManager
from PIL import Image

from api.main import create_app
from api.settings import Settings
from core.engine import Engine
from core.gatys import GatysStylizer
from core.params import StyleParams
from core.stylizer import Progress, StyleResult
from tests.conftest import encode, make_photo


class FakeStylizer:
    """Deterministic stand-in: N steps, progress and previews, honours Cancelled.

    `gate` (when set) makes each step wait for it, so tests can hold a job mid-run.
    """

    device = "fake"

    def __init__(self, steps: int = 4) -> None:
        self.steps = steps
        self.gate: threading.Event | None = None
        self.fail_with: Exception | None = None
        self.calls: list[StyleParams] = []
        self.contents: list[Image.Image] = []  # the decoded photo of each call
        self.step_started = threading.Event()

    def one_pass(self, params: StyleParams) -> FakeStylizer:
        """What core.clips.stylize paints a clip's frames with: this fake, a red frame each."""
        return self

    def methods_for(self, preset_id: str) -> list[str]:
        return ["gatys", "feedforward"] if preset_id == "starry_night" else ["gatys"]

    def stylize(
        self,
        content: Image.Image,
        styles: Sequence[Image.Image],
        params: StyleParams,
        progress=None,
    ) -> StyleResult:
        self.calls.append(params)
        self.contents.append(content)
        if self.fail_with is not None:
            raise self.fail_with
        size = params.output_size
        w, h = content.size
        out_size = (
            (size, max(1, round(h * size / w))) if w >= h else (max(1, round(w * size / h)), size)
        )
        image = Image.new("RGB", out_size, (200, 30, 30))
        for step in range(1, self.steps + 1):
            self.step_started.set()
            if self.gate is not None:
                self.gate.wait(10)
            if progress is not None:
                progress(Progress(step, self.steps, 0, out_size, {"total": 1.0 / step}, image))
        return StyleResult(image, self.steps, 0.01, {"total": 0.1})


@pytest.fixture
def fake() -> FakeStylizer:
    return FakeStylizer()


@pytest.fixture
def settings() -> Settings:
    return Settings(
        warm_up=False, result_ttl_s=600, sync_timeout_s=10, queue_size=4, preview_every=1
    )


@pytest.fixture
async def app(settings, fake):
    application = create_app(settings, stylizer=fake)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def engine_client(vgg):
    """The service over the real engine (VGG19 on the CPU), so that nothing stands in for the
    code that turns pixels into the output file."""
    engine = Engine(GatysStylizer(vgg, "cpu"))
    app = create_app(Settings(warm_up=False, preview_every=0), stylizer=engine)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=60) as c:
            yield c


@pytest.fixture
async def client(app):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=20) as c:
        yield c


def photo_bytes(fmt: str = "PNG", size=(96, 64)) -> bytes:
    return encode(make_photo(*size), fmt)


def job_files(style: bool = True) -> list[tuple[str, tuple[str, bytes, str]]]:
    files = [("content", ("photo.png", photo_bytes(), "image/png"))]
    if style:
        files.append(("style", ("style.png", photo_bytes(size=(64, 64)), "image/png")))
    return files


async def wait_status(
    client: httpx.AsyncClient, job_id: str, statuses: set[str], timeout=10.0, headers=None
) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = (await client.get(f"/jobs/{job_id}", headers=headers)).json()
        if body["status"] in statuses or time.monotonic() > deadline:
            return body
        import asyncio

        await asyncio.sleep(0.02)

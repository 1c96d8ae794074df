"""ETAs by method and size: POST /stylize waits for a fast job, even after a slow Gatys job."""

from __future__ import annotations

import asyncio
import io
import threading
import time

import httpx
import pytest
from asgi_lifespan import LifespanManager
from PIL import Image

from api.estimates import PRIORS, Durations, job_work
from api.jobs import InProcessQueue, JobInput
from api.main import create_app
from core.params import StyleParams
from tests.api.conftest import FakeStylizer, job_files, wait_status
from tests.conftest import make_photo


class TimedFake(FakeStylizer):
    """Takes as long as the real engine would relatively: Gatys pays per step (every step of
    the job's schedule), a trained model makes one quick pass."""

    def __init__(self, gatys_step_s: float, pass_s: float) -> None:
        super().__init__()
        self.gatys_step_s = gatys_step_s
        self.pass_s = pass_s

    def stylize(self, content, styles, params, progress=None):
        if params.method != "gatys":
            time.sleep(self.pass_s)
            self.steps = 1
            return super().stylize(content, styles, params, progress)
        self.steps = params.total_steps

        def slow(p):
            time.sleep(self.gatys_step_s)
            if progress is not None:
                progress(p)

        return super().stylize(content, styles, params, slow)


def test_gatys_work_grows_with_steps_and_pixels_and_follows_the_aspect():
    square, wide = (100, 100), (200, 100)
    base = job_work(StyleParams(size=60, steps=10), square)  # one scale: 30 px is dropped
    assert job_work(StyleParams(size=60, steps=20), square) == pytest.approx(2 * base)
    assert job_work(StyleParams(size=120, steps=10), square) == pytest.approx(4 * base)
    assert job_work(StyleParams(size=60, steps=10), wide) == pytest.approx(base / 2)


def test_a_trained_model_job_is_one_pass_over_its_output():
    ff = StyleParams(method="feedforward", size=512)
    assert job_work(ff, (400, 300)) == pytest.approx(512 * 384 / 1e6)
    assert job_work(ff, (400, 300)) < job_work(StyleParams(size=512), (400, 300)) / 100


def test_speeds_are_learnt_per_method():
    d = Durations()
    assert d.estimate("gatys", 10) is None  # no prior: it spans 100x between devices
    ff_before = d.estimate("feedforward", 0.2)
    assert ff_before == pytest.approx(PRIORS["feedforward"] * 0.2)
    d.observe("gatys", work=2.0, seconds=10.0)
    assert d.estimate("gatys", 4.0) == pytest.approx(20.0)
    assert d.estimate("feedforward", 0.2) == ff_before  # a slow Gatys says nothing of it
    d.observe("feedforward", work=0.2, seconds=0.02)
    assert d.estimate("feedforward", 0.2) == pytest.approx(0.02)  # the prior is replaced
    d.observe("gatys", work=2.0, seconds=30.0)  # then averaged with what came before
    assert d.estimate("gatys", 1.0) == pytest.approx((5.0 + 15.0) / 2)


class Pause:
    """Holds the worker between jobs, so that a new job stays queued while it is priced."""

    def __init__(self, queue) -> None:
        self.take_batch = queue.take_batch
        self.go = threading.Event()
        self.go.set()
        self.parked = threading.Event()
        queue.take_batch = self.held  # the worker thread calls it for every job

    def held(self, key, limit, timeout=1.0):
        if self.go.is_set():
            return self.take_batch(key, limit, timeout)
        self.parked.set()
        self.go.wait(timeout)
        return []

    async def pause(self) -> None:
        self.parked.clear()
        self.go.clear()
        for _ in range(200):  # a take already under way returns within its 0.5 s timeout
            if self.parked.is_set():
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the worker did not park")


@pytest.fixture
async def timed(settings):
    settings.sync_timeout_s = 3
    fake = TimedFake(gatys_step_s=0.15, pass_s=0.01)
    app = create_app(settings, stylizer=fake)
    pause = Pause(app.state.queue)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=30) as c:
            yield app, c, pause


async def test_a_trained_model_job_after_a_gatys_job_comes_back_as_the_image(timed):
    app, c, pause = timed
    r = await c.post("/stylize", files=job_files(), data={"size": "64", "steps": "2"})
    assert r.status_code == 200, r.text
    gatys_rate = app.state.queue.durations.rate("gatys")
    assert gatys_rate is not None and gatys_rate > 10  # s per megapixel-step: slow, as set

    # The next job is priced while it waits in the queue behind the finished Gatys job. At
    # Gatys' speed over a Gatys schedule it would "take" far over the 3 s this service
    # waits; at its own method's speed it takes a fraction of a second, so the call waits.
    await pause.pause()
    call = asyncio.create_task(
        c.post(
            "/stylize",
            files=job_files(style=False),
            data={"preset": "starry_night", "method": "feedforward", "size": "64"},
        )
    )
    while app.state.queue.waiting() == 0:  # submitted and priced (no await in between)
        assert not call.done(), call.result().text
        await asyncio.sleep(0.01)
    pause.go.set()
    r = await call
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(r.content)).size == (64, 43)  # the photo's 3:2


async def test_a_long_gatys_job_is_still_sent_away_at_once(timed):
    app, c, _ = timed
    assert (
        await c.post("/stylize", files=job_files(), data={"size": "64", "steps": "2"})
    ).status_code == 200
    # 40 steps at 0.15 s: about 6 s, over the 3 s this service waits.
    started = time.monotonic()
    r = await c.post("/stylize", files=job_files(), data={"size": "64", "steps": "40"})
    assert r.status_code == 202
    assert time.monotonic() - started < 1.5  # answered from the estimate, not after waiting
    assert r.json()["eta_seconds"] == pytest.approx(6, rel=0.5)
    await c.delete(f"/jobs/{r.json()['id']}")
    await wait_status(c, r.json()["id"], {"cancelled"})


async def test_a_running_job_waits_for_nobody_and_a_queued_one_for_those_ahead():
    queue = InProcessQueue(max_waiting=5, result_ttl_s=60, max_finished=5)
    queue.durations.observe("gatys", work=1.0, seconds=10.0)
    params = StyleParams(size=100, steps=10)  # one scale: 100x100 px x 10 steps = 0.1 MP-steps
    photo, painting = make_photo(100, 100), make_photo(64, 64)
    first, second, third = [
        await queue.submit(JobInput(photo, [painting], params)) for _ in range(3)
    ]
    queue.take()  # the first one runs, no step reported yet
    assert await queue.eta_seconds(first.id) == pytest.approx(1.0, abs=0.1)
    assert await queue.eta_seconds(second.id) == pytest.approx(2.0, abs=0.1)
    assert await queue.eta_seconds(third.id) == pytest.approx(3.0, abs=0.1)

"""The same promises from both queues: in-process (no broker) and Redis with SAQ workers."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import threading

import av
import httpx
import pytest
from asgi_lifespan import LifespanManager
from PIL import Image

from api.main import create_app
from api.redis_worker import build_worker
from api.settings import Settings
from core.params import StyleParams
from tests.api.conftest import FakeStylizer, job_files, wait_status
from tests.clips import FRAMES, write_clip


@contextlib.asynccontextmanager
async def service(mode: str, fake: FakeStylizer, redis_url: str | None, **overrides):
    settings = Settings(
        warm_up=False,
        queue_size=3,
        sync_timeout_s=10,
        preview_every=1,
        redis_url=redis_url if mode == "redis" else None,
        **overrides,
    )
    app = create_app(settings, stylizer=fake if mode == "memory" else None)
    worker_task = None
    if mode == "redis":
        worker, _ = build_worker(settings, engine=fake, sweep_s=1)
        worker_task = asyncio.create_task(worker.start())
    try:
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=30) as c:
                yield c
    finally:
        if worker_task is not None:
            await worker.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await worker_task


@pytest.fixture(params=["memory", "redis"])
def mode(request):
    return request.param


@pytest.fixture
def url(mode, request):
    return request.getfixturevalue("redis_url") if mode == "redis" else None


async def submit(c, **data):
    r = await c.post("/jobs", files=job_files(), data={"size": "64", **data})
    assert r.status_code == 202, r.text
    return r.json()


async def test_job_runs_with_progress_preview_and_result(mode, url):
    fake = FakeStylizer(steps=5)
    async with service(mode, fake, url) as c:
        job = await submit(c)
        events = []
        async with c.stream("GET", f"/jobs/{job['id']}/events") as stream:
            async for line in stream.aiter_lines():
                if line.startswith("data:"):
                    events.append(json.loads(line[5:]))
        assert events[-1]["status"] == "succeeded" and events[-1]["progress"] == 1.0
        result = await c.get(f"/jobs/{job['id']}/result")
        assert result.status_code == 200 and result.headers["content-type"] == "image/png"
        assert (await c.get(f"/jobs/{job['id']}/preview")).status_code == 200


async def test_cancel_running_and_queued_jobs(mode, url):
    fake = FakeStylizer(steps=50)
    fake.gate = threading.Event()
    async with service(mode, fake, url) as c:
        first = await submit(c)
        second = await submit(c)
        await wait_status(c, first["id"], {"running"})
        assert (await c.get(f"/jobs/{second['id']}")).json()["queue_position"] == 1
        await c.delete(f"/jobs/{second['id']}")
        assert (await wait_status(c, second["id"], {"cancelled"}))["status"] == "cancelled"
        await c.delete(f"/jobs/{first['id']}")
        fake.gate.set()
        assert (await wait_status(c, first["id"], {"cancelled"}))["status"] == "cancelled"
        third = await submit(c)  # the worker goes on after a cancel
        assert (await wait_status(c, third["id"], {"succeeded"}))["status"] == "succeeded"


async def test_queue_full_is_503(mode, url):
    fake = FakeStylizer(steps=3)
    fake.gate = threading.Event()
    async with service(mode, fake, url) as c:
        jobs = [await submit(c)]
        await wait_status(c, jobs[0]["id"], {"running"})
        jobs += [await submit(c) for _ in range(3)]
        r = await c.post("/jobs", files=job_files(), data={"size": "64"})
        assert r.status_code == 503 and int(r.headers["retry-after"]) >= 1
        fake.gate.set()
        for job in jobs:
            assert (await wait_status(c, job["id"], {"succeeded"}, timeout=30))[
                "status"
            ] == "succeeded"


async def test_failures_are_reported_not_lost(mode, url):
    fake = FakeStylizer()
    fake.fail_with = ValueError("style image is 3x3 px; at least 32 px needed")
    async with service(mode, fake, url) as c:
        job = await submit(c)
        failed = await wait_status(c, job["id"], {"failed"})
        assert "at least 32 px" in failed["error"]


async def test_results_expire(mode, url):
    fake = FakeStylizer()
    async with service(mode, fake, url, result_ttl_s=1) as c:
        job = await submit(c)
        await wait_status(c, job["id"], {"succeeded"})
        assert (await c.get(f"/jobs/{job['id']}/result")).status_code == 200
        for _ in range(100):  # bounded: the TTL is 1 s, sweeps run every 0.25 s
            await asyncio.sleep(0.1)
            if mode == "memory":
                c._transport.app.state.queue.sweep()  # type: ignore[attr-defined]
            status = (await c.get(f"/jobs/{job['id']}/result")).status_code
            if status in (404, 410):
                break
        assert status in (404, 410)


# Every form field with a value unlike its default, and what the engine must receive for it.
# A job with two paintings (style_blend) and a job with a preset and a trained model.
BLENDED = {
    "method": ("gatys", "gatys"),
    "quality": ("fast", "fast"),
    "content_weight": ("3.5", 3.5),
    "style_weight": ("7.25", 7.25),
    "tv_weight": ("0.5", 0.5),
    "strength": ("1.75", 1.75),
    "style_blend": ("0.25,0.75", (0.25, 0.75)),
    "steps": ("3", 3),
    "size": ("48", 48),
    "preserve_color": ("luminance", "luminance"),
    "seed": ("1234", 1234),
    "init": ("noise", "noise"),  # the one start that reads the seed
    "format": ("webp", "webp"),
}
PRESET = {
    "preset": ("starry_night", "starry_night"),
    "method": ("feedforward", "feedforward"),
    "quality": ("best", "best"),
    "strength": ("0.5", 0.5),
    "size": ("40", 40),
    "preserve_color": ("histogram", "histogram"),
    "format": ("jpeg", "jpeg"),
}


def form_fields(schema: dict) -> set[str]:
    body = schema["paths"]["/jobs"]["post"]["requestBody"]["content"]["multipart/form-data"]
    name = body["schema"]["$ref"].rsplit("/", 1)[-1]
    return set(schema["components"]["schemas"][name]["properties"])


def test_the_jobs_below_set_every_form_field():
    fields = form_fields(create_app(Settings(warm_up=False)).openapi())
    # content and style are files; a field added to the form must be added to a job below.
    # temporal is for clips only: tests/api/test_clips.py shows what it does.
    assert fields - {"content", "style", "temporal"} == BLENDED.keys() | PRESET.keys()


@pytest.mark.parametrize("job", [BLENDED, PRESET], ids=["two-paintings", "preset"])
async def test_every_form_field_reaches_the_engine(mode, url, job):
    fake = FakeStylizer()
    async with service(mode, fake, url) as c:
        files = job_files(style="preset" not in job)
        if "preset" not in job:
            files.append(("style", ("second.png", files[-1][1][1], "image/png")))
        r = await c.post("/jobs", files=files, data={k: sent for k, (sent, _) in job.items()})
        assert r.status_code == 202, r.text
        done = await wait_status(c, r.json()["id"], {"succeeded", "failed"}, timeout=30)
        assert done["status"] == "succeeded", done
        result = await c.get(done["result_url"])
    (params,) = fake.calls
    expected = {k: want for k, (_, want) in job.items() if k != "format"}
    for name, want in expected.items():
        assert getattr(params, name) == want, (mode, name)
    # Nothing else changed on the way: every other setting is the engine's default.
    assert params == StyleParams(**expected, preview_every=1)
    fmt = job["format"][1]
    assert result.headers["content-type"] == f"image/{fmt}"
    assert Image.open(io.BytesIO(result.content)).format == fmt.upper()


def clip_job(tmp_path) -> list:
    data = write_clip(tmp_path / "clip.mp4", audio="aac").read_bytes()
    return [("content", ("clip.mp4", data, "video/mp4"))]


async def test_a_clip_is_painted_frame_by_frame_and_comes_back_a_clip(mode, url, tmp_path):
    fake = FakeStylizer(steps=1)
    async with service(mode, fake, url) as c:
        r = await c.post("/jobs", files=clip_job(tmp_path), data={"preset": "starry_night"})
        assert r.status_code == 202, r.text
        job = r.json()
        assert job["kind"] == "clip" and job["total_steps"] == FRAMES
        events = []
        async with c.stream("GET", f"/jobs/{job['id']}/events") as stream:
            async for line in stream.aiter_lines():
                if line.startswith("data:"):
                    events.append(json.loads(line[5:]))
        assert events[-1]["status"] == "succeeded", events[-1]
        running = [e["step"] for e in events if e["status"] == "running"]
        assert running and running == sorted(running) and max(running) <= FRAMES
        result = await c.get(f"/jobs/{job['id']}/result")
        assert result.headers["content-type"] == "video/mp4"
        with av.open(io.BytesIO(result.content)) as clip:
            assert clip.streams.audio  # the sound is kept
            assert sum(1 for _ in clip.decode(video=0)) == FRAMES
        assert fake.calls and all(p.method == "feedforward" for p in fake.calls)


async def test_a_running_clip_stops_when_cancelled(mode, url, tmp_path):
    fake = FakeStylizer(steps=1)
    fake.gate = threading.Event()
    async with service(mode, fake, url) as c:
        r = await c.post("/jobs", files=clip_job(tmp_path), data={"preset": "starry_night"})
        job = r.json()
        await asyncio.to_thread(fake.step_started.wait, 10)
        await c.delete(f"/jobs/{job['id']}")
        fake.gate.set()
        done = await wait_status(c, job["id"], {"cancelled", "succeeded", "failed"}, timeout=20)
        assert done["status"] == "cancelled", done
        assert len(fake.calls) < FRAMES  # it stopped within a frame or so of the cancel

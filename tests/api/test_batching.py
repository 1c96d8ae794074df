"""Waiting jobs that agree on size and settings run as one batch; memory caps MAX_SIZE."""

import io
import threading

import httpx
import pytest
from asgi_lifespan import LifespanManager
from PIL import Image

from api.main import create_app
from api.settings import Settings
from core.stylizer import Cancelled, Progress, StyleResult
from tests.api.conftest import FakeStylizer, job_files, wait_status


class BatchingFake(FakeStylizer):
    """Adds the engine's batch interface; records the size of every batch it runs."""

    def __init__(self) -> None:
        super().__init__(steps=3)
        self.batches: list[int] = []
        self.batch_gate = threading.Event()  # holds a batch before each step
        self.batch_gate.set()

    def batch_key(self, content, params):
        return (content.size, params.output_size)

    def stylize_batch(self, items, params):
        self.batches.append(len(items))
        live = [True] * len(items)
        for step in range(1, self.steps + 1):
            self.batch_gate.wait(10)
            for i, item in enumerate(items):
                if not live[i]:
                    continue
                try:
                    item.progress(Progress(step, self.steps, 0, (64, 43), {"total": 1.0}))
                except Cancelled:
                    live[i] = False
            if not any(live):
                raise Cancelled
        return [
            StyleResult(Image.new("RGB", (64, 43), (10 * i, 0, 0)), self.steps, 0.01)
            if live[i]
            else None
            for i in range(len(items))
        ]


@pytest.fixture
def batching() -> BatchingFake:
    return BatchingFake()


@pytest.fixture
async def batch_client(batching):
    settings = Settings(warm_up=False, queue_size=8, batch_max=4, preview_every=0)
    app = create_app(settings, stylizer=batching)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def submit(client, size="64"):
    r = await client.post("/jobs", files=job_files(), data={"size": size})
    assert r.status_code == 202, r.text
    return r.json()["id"]


async def test_waiting_jobs_with_one_key_share_a_batch(batch_client, batching):
    batching.gate = threading.Event()
    first = await submit(batch_client)
    await wait_status(batch_client, first, {"running"})
    same = [await submit(batch_client) for _ in range(3)]
    other = await submit(batch_client, size="48")  # another key: runs on its own
    batching.gate.set()
    for job_id, size in [(first, 64), *((j, 64) for j in same), (other, 48)]:
        done = await wait_status(batch_client, job_id, {"succeeded", "failed"})
        assert done["status"] == "succeeded", done
        image = Image.open(io.BytesIO((await batch_client.get(f"/jobs/{job_id}/result")).content))
        assert max(image.size) == size
    assert batching.batches == [3]  # the three that waited together ran as one batch
    assert len(batching.calls) == 2  # the first (alone in the queue) and the 48 px job


async def test_cancelling_one_job_of_a_batch_leaves_the_others(batch_client, batching):
    batching.gate = threading.Event()
    batching.batch_gate.clear()
    blocker = await submit(batch_client)
    await wait_status(batch_client, blocker, {"running"})
    jobs = [await submit(batch_client) for _ in range(3)]
    batching.gate.set()  # the blocker finishes; the batch starts and waits at its first step
    assert (await wait_status(batch_client, jobs[2], {"running"}))["status"] == "running"
    await batch_client.delete(f"/jobs/{jobs[1]}")
    batching.batch_gate.set()
    statuses = [
        (await wait_status(batch_client, j, {"succeeded", "cancelled", "failed"}))["status"]
        for j in jobs
    ]
    assert statuses == ["succeeded", "cancelled", "succeeded"]
    assert (await batch_client.get(f"/jobs/{jobs[1]}/result")).status_code == 409


async def test_max_size_is_lowered_to_what_memory_holds(fake):
    fake.max_side = lambda: 200
    app = create_app(Settings(warm_up=False, max_size=1024), stylizer=fake)
    async with LifespanManager(app):
        assert app.state.settings.max_size == 200
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            r = await client.post("/jobs", files=job_files(), data={"size": "300"})
    assert r.status_code == 422
    assert "at most 200 px" in r.text

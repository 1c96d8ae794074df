"""Running out of memory in the middle of a job, simulated on the CPU: an allocation inside
the real engine fails as CUDA's or the CPU allocator's would. That job fails with a message
the user can act on; queued jobs and later ones run; nothing else is lost."""

from __future__ import annotations

import httpx
import pytest
import torch
from asgi_lifespan import LifespanManager

import core.losses
from api.main import create_app
from api.settings import Settings
from core.engine import Engine
from core.gatys import GatysStylizer
from tests.api.conftest import job_files, wait_status

FAILURES = {
    "cuda": torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"),
    "cpu allocator": RuntimeError(
        "DefaultCPUAllocator: can't allocate memory: you tried to allocate 8589934592 bytes"
    ),
    "python": MemoryError(),
}


@pytest.fixture
async def client(vgg):
    engine = Engine(GatysStylizer(vgg, "cpu"))
    app = create_app(Settings(warm_up=False, queue_size=4, preview_every=0), stylizer=engine)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=60) as c:
            yield c


def fail_once(monkeypatch, error: BaseException, at_call: int) -> None:
    """The `at_call`-th Gram matrix (a few steps into the first job) fails to allocate."""
    real = core.losses.gram_matrix
    calls = 0

    def gram_matrix(features: torch.Tensor) -> torch.Tensor:
        nonlocal calls
        calls += 1
        if calls == at_call:
            raise error
        return real(features)

    monkeypatch.setattr(core.losses, "gram_matrix", gram_matrix)


async def submit(client: httpx.AsyncClient) -> str:
    r = await client.post("/jobs", files=job_files(), data={"size": "48", "steps": "4"})
    assert r.status_code == 202, r.text
    return r.json()["id"]


@pytest.mark.parametrize("kind", FAILURES)
async def test_out_of_memory_mid_job_fails_that_job_only(client, monkeypatch, kind):
    fail_once(monkeypatch, FAILURES[kind], at_call=12)
    first, queued = await submit(client), await submit(client)
    failed = await wait_status(client, first, {"succeeded", "failed"}, timeout=60)
    assert failed["status"] == "failed"
    assert failed["error"] == (
        "ran out of memory on this machine while stylizing; try a smaller size"
    )
    assert (await client.get(f"/jobs/{first}/result")).status_code == 409
    # The job queued behind it, and a new one, run as if nothing happened.
    for job_id in (queued, await submit(client)):
        done = await wait_status(client, job_id, {"succeeded", "failed"}, timeout=60)
        assert done["status"] == "succeeded", done
    assert (await client.get("/readyz")).status_code == 200


async def test_other_runtime_errors_are_not_mistaken_for_memory(client, monkeypatch):
    fail_once(monkeypatch, RuntimeError("shape mismatch"), at_call=12)
    job = await wait_status(client, await submit(client), {"succeeded", "failed"}, timeout=60)
    assert job["status"] == "failed"
    assert "memory" not in job["error"] and "internal error" in job["error"]

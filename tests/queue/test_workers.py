"""Worker processes on one Redis: sharing the queue, a worker killed mid-job, an API restart."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys

import httpx
import pytest
from asgi_lifespan import LifespanManager
from saq import Queue

from api.main import create_app
from api.redis_queue import QUEUE_NAME
from api.settings import Settings
from tests.api.conftest import job_files, wait_status
from tests.conftest import ROOT

pytestmark = pytest.mark.slow


@contextlib.contextmanager
def workers(url: str, ids: list[str], **env):
    procs = {}
    for worker_id in ids:
        procs[worker_id] = subprocess.Popen(
            [sys.executable, "-m", "tests.queue.fake_worker", url, worker_id],
            cwd=ROOT,
            env={**os.environ, **{k: str(v) for k, v in env.items()}},
            stdout=subprocess.PIPE,
            stderr=open(os.environ.get("WORKER_LOG", os.devnull), "a"),  # noqa: SIM115
            text=True,
        )
    try:
        for proc in procs.values():
            assert proc.stdout.readline().strip() == "ready"
        yield procs
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(10)


@contextlib.asynccontextmanager
async def api(url: str):
    app = create_app(Settings(redis_url=url, queue_size=20, warm_up=False, job_heartbeat_s=2))
    async with LifespanManager(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t", timeout=30
        ) as client:
            yield client


async def worker_of(url: str, job_id: str) -> tuple[str | None, int]:
    queue = Queue.from_url(url, name=QUEUE_NAME)
    try:
        job = await queue.job(job_id)
        return job.worker_id, job.attempts
    finally:
        await queue.disconnect()


async def test_two_workers_share_one_redis(redis_url):
    with workers(redis_url, ["w1", "w2"], STEPS=5, STEP_S=0.05):
        async with api(redis_url) as c:
            ids = [
                (await c.post("/jobs", files=job_files(), data={"size": "64"})).json()["id"]
                for _ in range(6)
            ]
            for job_id in ids:
                assert (await wait_status(c, job_id, {"succeeded"}, timeout=60))[
                    "status"
                ] == "succeeded"
        used = {(await worker_of(redis_url, job_id))[0] for job_id in ids}
    assert used == {"w1", "w2"}


async def test_worker_killed_mid_job_is_retried_by_another(redis_url):
    with workers(redis_url, ["a", "b"], STEPS=40, STEP_S=0.1) as procs:
        async with api(redis_url) as c:
            job_id = (await c.post("/jobs", files=job_files(), data={"size": "64"})).json()["id"]
            running = await wait_status(c, job_id, {"running"}, timeout=30)
            assert running["status"] == "running"
            owner, _ = await worker_of(redis_url, job_id)
            procs[owner].send_signal(signal.SIGKILL)
            done = await wait_status(c, job_id, {"succeeded", "failed"}, timeout=90)
            assert done["status"] == "succeeded"
            new_owner, attempts = await worker_of(redis_url, job_id)
            assert new_owner != owner and attempts == 2
            # The surviving worker goes on with new jobs.
            again = (await c.post("/jobs", files=job_files(), data={"size": "64"})).json()["id"]
            assert (await wait_status(c, again, {"succeeded"}, timeout=60))["status"] == "succeeded"


async def test_api_restart_loses_no_queued_job(redis_url):
    async with api(redis_url) as c:  # no worker yet: jobs wait in Redis
        ids = [
            (await c.post("/jobs", files=job_files(), data={"size": "64"})).json()["id"]
            for _ in range(3)
        ]
        assert (await c.get(f"/jobs/{ids[-1]}")).json()["queue_position"] == 2
    with workers(redis_url, ["w"], STEPS=3, STEP_S=0.01):
        async with api(redis_url) as c:  # a new API process
            for job_id in ids:
                assert (await wait_status(c, job_id, {"succeeded"}, timeout=60))[
                    "status"
                ] == "succeeded"
    await asyncio.sleep(0)


async def test_a_sweep_abort_is_not_read_as_a_users_cancel(redis_url):
    # SAQ's sweep can catch a job in the instant between a worker's dequeue and its ACTIVE mark:
    # it writes the job's abort key with its own message and re-queues the job. The attempt
    # that is already running must finish, not report the job cancelled.
    async with api(redis_url) as c:
        job_id = (await c.post("/jobs", files=job_files(), data={"size": "64"})).json()["id"]
    queue = Queue.from_url(redis_url, name=QUEUE_NAME)
    try:
        job = await queue.job(job_id)
        await queue.redis.setex(job.abort_id, 60, queue.swept_error_message)
    finally:
        await queue.disconnect()
    with workers(redis_url, ["w"], STEPS=3, STEP_S=0.01):
        async with api(redis_url) as c:
            done = await wait_status(c, job_id, {"succeeded", "failed", "cancelled"}, timeout=60)
    assert done["status"] == "succeeded"

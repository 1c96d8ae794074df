"""Redis crashes and comes back (with its append-only file, as deployed): the API answers 503
while it is gone, nothing queued or running is lost, and the API and the worker reconnect
by themselves."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import subprocess

import pytest
import redis

from tests.api.conftest import job_files, wait_status
from tests.queue.conftest import free_port
from tests.queue.test_workers import api, workers

pytestmark = pytest.mark.slow


class RestartableRedis:
    def __init__(self, workdir) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "yes", "--appendfsync", "always",
             "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis.from_url(self.url)
        for _ in range(200):
            with contextlib.suppress(redis.ConnectionError, redis.BusyLoadingError):
                client.ping()
                return
            subprocess.run(["sleep", "0.05"], check=True)
        raise RuntimeError("redis did not start")

    def crash(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture
def restartable(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed (apt-get install redis-server)")
    server = RestartableRedis(tmp_path)
    server.start()
    yield server
    server.stop()


async def test_redis_crash_and_restart_loses_nothing(restartable):
    url = restartable.url
    with workers(url, ["w"], STEPS=20, STEP_S=0.05):
        async with api(url) as client:
            ids = [
                (await client.post("/jobs", files=job_files(), data={"size": "64"})).json()["id"]
                for _ in range(3)
            ]
            assert (await wait_status(client, ids[0], {"running"}, timeout=30))[
                "status"
            ] == "running"
            restartable.crash()

            # While it is down: a clear 503 with Retry-After, never a 500.
            down = await client.post("/jobs", files=job_files(), data={"size": "64"})
            assert down.status_code == 503, down.text
            assert "retry-after" in down.headers and "queue" in down.json()["detail"]
            status = await client.get(f"/jobs/{ids[1]}")
            assert status.status_code == 503, status.text
            assert (await client.get("/readyz")).status_code == 503
            await asyncio.sleep(1)

            restartable.start()
            # Every job accepted before the crash ends well, the running one included.
            for job_id in ids:
                done = await wait_status(client, job_id, {"succeeded", "failed"}, timeout=90)
                assert done["status"] == "succeeded", (done.get("error"), done)
                assert (await client.get(f"/jobs/{job_id}/result")).status_code == 200
            again = (await client.post("/jobs", files=job_files(), data={"size": "64"})).json()
            done = await wait_status(client, again["id"], {"succeeded"}, timeout=60)
            assert done["status"] == "succeeded"
            assert (await client.get("/readyz")).status_code == 200

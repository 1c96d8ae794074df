"""The real server: uvicorn on a free loopback port, the real engine at a tiny size."""

import io
import json
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
from PIL import Image

from tests.conftest import ROOT, encode, make_photo


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = free_port()
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DEVICE": "cpu",
        "MAX_SIZE": "256",
        "LOG_LEVEL": "WARNING",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "api"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(proc.stderr.read().decode())
        time.sleep(0.2)
    else:
        proc.kill()
        raise RuntimeError("server did not become ready")
    yield base
    proc.terminate()
    proc.wait(timeout=30)


@pytest.mark.slow
def test_job_over_http_with_sse_and_result(server):
    files = [
        ("content", ("photo.jpg", encode(make_photo(120, 80), "JPEG"), "image/jpeg")),
        ("style", ("painting.png", encode(make_photo(80, 80, seed=3)), "image/png")),
    ]
    with httpx.Client(base_url=server, timeout=60) as client:
        r = client.post("/jobs", files=files, data={"size": "64", "steps": "3", "format": "webp"})
        assert r.status_code == 202, r.text
        job_id = r.json()["id"]
        events = []
        with client.stream("GET", r.headers["location"] + "/events") as stream:
            for line in stream.iter_lines():
                if line.startswith("data:"):
                    events.append(json.loads(line[5:]))
        assert events[-1]["status"] == "succeeded", events[-1]
        assert events[-1]["step"] == 3
        result = client.get(f"/jobs/{job_id}/result")
        assert result.headers["content-type"] == "image/webp"
        assert Image.open(io.BytesIO(result.content)).size == (64, 43)
        styles = client.get("/styles").json()
        assert "gatys" in styles[0]["methods"]
        ready = client.get("/readyz").json()
        assert ready["device"] == "cpu" and ready["warm_up_seconds"] is not None

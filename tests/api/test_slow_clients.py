"""Clients that vanish, never read, or upload slowly: they must not tie up the worker, and
once they are gone the service holds no connection, descriptor or temporary file for them.
The real server on loopback (real sockets are the point), the real engine at a tiny size."""

from __future__ import annotations

import asyncio
import io
import random
import socket
import time

import httpx
import pytest
from PIL import Image

from tests.api.live_server import LiveServer, live_server
from tests.conftest import encode, make_photo

pytestmark = pytest.mark.slow

IDLE_TIMEOUT_S = 2
PHOTO = encode(make_photo(96, 64))
STYLE = encode(make_photo(64, 64, seed=3))


def noise_png(side: int = 720) -> bytes:
    """~1.5 MB: big enough that the multipart parser spills it to a temporary file."""
    img = Image.frombytes("RGB", (side, side), random.Random(0).randbytes(side * side * 3))
    buf = io.BytesIO()
    img.save(buf, "PNG", compress_level=0)
    return buf.getvalue()


def multipart(photo: bytes = PHOTO, **fields: str) -> tuple[bytes, str]:
    request = httpx.Request(
        "POST", "http://t/jobs", data=fields, files={"content": photo, "style": STYLE}
    )
    return request.read(), request.headers["content-type"]


@pytest.fixture(scope="module")
def live():
    with live_server(UPLOAD_IDLE_TIMEOUT_S=str(IDLE_TIMEOUT_S), MAX_SIZE="512") as server:
        yield server


def submit(client: httpx.Client, **fields: str) -> str:
    r = client.post("/jobs", data={"size": "48", "steps": "2", **fields},
                    files={"content": PHOTO, "style": STYLE})  # fmt: skip
    assert r.status_code == 202, r.text
    return r.json()["id"]


def final_status(client: httpx.Client, job_id: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(f"/jobs/{job_id}").json()["status"]
        if status in ("succeeded", "failed", "cancelled"):
            return status
        time.sleep(0.05)
    return "still running"


def request_never_read(server: LiveServer, path: str) -> socket.socket:
    """Sends a GET and never reads the answer, with a tiny receive window."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.port))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
    return sock


def post_headers(length: int, content_type: str) -> bytes:
    return (
        f"POST /jobs HTTP/1.1\r\nHost: t\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


def wait_for(condition, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_vanishing_and_never_reading_clients_hold_nothing(live):
    with httpx.Client(base_url=live.base, timeout=60) as client:
        assert final_status(client, submit(client)) == "succeeded"  # lazily made things exist
        big = submit(client, size="512", steps="1", format="png")
        assert final_status(client, big) == "succeeded"
        baseline = live.open_fds()

        running = submit(client, size="64", steps="40")
        for _ in range(5):  # event streams dropped after their first event
            with client.stream("GET", f"/jobs/{running}/events") as stream:
                next(stream.iter_lines())
        silent = [request_never_read(live, f"/jobs/{running}/events") for _ in range(10)]
        silent += [request_never_read(live, f"/jobs/{big}/result") for _ in range(10)]
        assert wait_for(lambda: live.open_fds() >= baseline + 15)  # really connected

        # The worker is not held up by any of them, and the service answers others.
        assert final_status(client, running) == "succeeded"
        assert final_status(client, submit(client)) == "succeeded"
        assert client.get("/healthz").status_code == 200
        result = client.get(f"/jobs/{big}/result")
        assert Image.open(io.BytesIO(result.content)).size[0] == 512
        for sock in silent:
            sock.close()
    assert live.settle(baseline) <= baseline + 2


async def trickle(body: bytes, pieces: int, seconds: float):
    size = -(-len(body) // pieces)
    for i in range(0, len(body), size):
        await asyncio.sleep(seconds / pieces)
        yield body[i : i + size]


async def test_a_slow_upload_does_not_hold_up_other_jobs(live):
    body, content_type = multipart(size="48", steps="2")
    async with httpx.AsyncClient(base_url=live.base, timeout=60) as client:
        slow = asyncio.create_task(
            client.post(
                "/jobs",
                content=trickle(body, pieces=20, seconds=IDLE_TIMEOUT_S * 2.5),
                headers={"content-type": content_type},
            )
        )
        await asyncio.sleep(0.3)
        quick = await client.post("/jobs", data={"size": "48", "steps": "2"},
                                  files={"content": PHOTO, "style": STYLE})  # fmt: skip
        quick_id = quick.json()["id"]
        while (await client.get(f"/jobs/{quick_id}")).json()["status"] != "succeeded":
            await asyncio.sleep(0.05)
        assert not slow.done()  # the other job ran while this upload was still arriving
        answer = await slow  # slow but never idle for the timeout: accepted
        assert answer.status_code == 202, answer.text


def read_until_closed(sock: socket.socket) -> str:
    """The whole answer: on a busy machine its body can come in a later segment than its
    headers, so one recv() is not enough; the server closes the connection after it."""
    chunks = []
    while chunk := sock.recv(4096):
        chunks.append(chunk)
    return b"".join(chunks).decode("latin-1")


def test_a_stalled_upload_gets_408_and_leaves_no_temporary_file(live):
    body, content_type = multipart(noise_png())
    baseline = live.open_fds()
    with socket.create_connection(("127.0.0.1", live.port)) as sock:
        sock.sendall(post_headers(len(body), content_type) + body[: len(body) * 3 // 4])
        # The upload really was spilled to disk before the client went quiet.
        assert wait_for(lambda: live.temp_files() == 1), live.temp_files()
        sock.settimeout(IDLE_TIMEOUT_S * 5)
        answer = read_until_closed(sock)
    assert answer.startswith("HTTP/1.1 408"), answer
    assert f"no request data for {IDLE_TIMEOUT_S} s" in answer
    assert wait_for(lambda: live.temp_files() == 0), live.temp_files()
    assert live.settle(baseline) <= baseline + 2


def test_an_upload_abandoned_midway_leaves_no_temporary_file(live):
    body, content_type = multipart(noise_png())
    baseline = live.open_fds()
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", live.port)) as sock:
            sock.sendall(post_headers(len(body), content_type) + body[: len(body) * 3 // 4])
            assert wait_for(lambda: live.temp_files() >= 1)
        # closed mid-body
    assert wait_for(lambda: live.temp_files() == 0), live.temp_files()
    assert live.settle(baseline) <= baseline + 2
    with httpx.Client(base_url=live.base, timeout=60) as client:
        assert final_status(client, submit(client)) == "succeeded"

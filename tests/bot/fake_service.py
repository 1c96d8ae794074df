"""A fake stylize service speaking docs/http-contract.md, with job progress under test control.

Each job walks queued -> running 0% -> 50% -> (waits for `gate`) -> 90% -> succeeded. Clear
`gate` to hold jobs at 50%. The event stream replays every state since the job began, so a
test sees each step whatever the timing. Every request is recorded.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from PIL import Image, ImageOps, UnidentifiedImageError

PRESETS = [
    {"id": "starry_night", "title": "The Starry Night", "artist": "Vincent van Gogh", "year": 1889,
     "licence": "public domain", "methods": ["gatys", "feedforward"]},
    {"id": "the_scream", "title": "The Scream", "artist": "Edvard Munch", "year": 1893,
     "licence": "public domain", "methods": ["gatys"]},
    {"id": "wave", "title": "The Great Wave", "artist": "Hokusai", "year": 1831,
     "licence": "public domain", "methods": ["gatys"]},
]  # fmt: skip
TERMINAL = {"succeeded", "failed", "cancelled"}


@dataclass
class Seen:
    method: str
    path: str
    form: dict[str, str] = field(default_factory=dict)
    files: dict[str, list[bytes]] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)


SEEN = web.RequestKey("seen", Seen)


@dataclass
class FakeJob:
    id: str
    form: dict[str, str]
    files: dict[str, list[bytes]]
    state: dict[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    driver: asyncio.Task[None] | None = None

    def set(self, **changes: Any) -> None:
        self.state = self.state | changes
        self.history.append(self.state)
        self.changed.set()


class FakeService:
    def __init__(self, api_key: str | None = None) -> None:
        self.api_key = api_key
        self.seen: list[Seen] = []
        self.jobs: dict[str, FakeJob] = {}
        self.gate = asyncio.Event()
        self.gate.set()
        self.sse = True  # False: /events answers 404 and the bot must poll
        # GET /methods: Gatys and a per-style network; tests add e.g. adain (any painting).
        self.methods = [
            {"id": "gatys", "one_pass": False, "any_painting": True},
            {"id": "feedforward", "one_pass": True, "any_painting": False},
        ]
        self.outcome = "succeeded"
        self.failures: list[tuple[int, dict[str, str]]] = []  # next answers, whatever the path
        self._ids = itertools.count(1)
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self, port: int = 0) -> str:
        app = web.Application(middlewares=[self._gatekeeper], client_max_size=64 * 1024 * 1024)
        app.router.add_get("/styles", self._styles)
        app.router.add_get("/methods", self._methods)
        app.router.add_get("/styles/{id}/image", self._style_image)
        app.router.add_post("/jobs", self._create)
        app.router.add_get("/jobs/{id}", self._job)
        app.router.add_delete("/jobs/{id}", self._cancel)
        app.router.add_get("/jobs/{id}/events", self._events)
        app.router.add_get("/jobs/{id}/result", self._result)
        # Handlers die with their connection; shutdown does not wait for open event streams.
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        return self.url

    async def stop(self) -> None:
        self.gate.set()
        for job in self.jobs.values():
            if job.driver:
                job.driver.cancel()
        if self._runner:
            await self._runner.cleanup()

    # -- what tests look at ----------------------------------------------------------------

    def of(self, method: str, path_start: str = "/") -> list[Seen]:
        return [s for s in self.seen if s.method == method and s.path.startswith(path_start)]

    async def wait_for(self, method: str, path_start: str = "/", timeout: float = 10.0) -> Seen:
        deadline = time.monotonic() + timeout
        while not (found := self.of(method, path_start)):
            self._changed.clear()
            await asyncio.wait_for(self._changed.wait(), max(0.0, deadline - time.monotonic()))
        return found[-1]

    def last_job(self) -> FakeJob:
        return list(self.jobs.values())[-1]

    # -- the HTTP side ---------------------------------------------------------------------

    @web.middleware
    async def _gatekeeper(self, request: web.Request, handler: Any) -> web.StreamResponse:
        seen = Seen(request.method, request.path)
        if request.content_type == "multipart/form-data":
            async for part in await request.multipart():
                data = await part.read()  # type: ignore[union-attr]
                if part.filename:  # type: ignore[union-attr]
                    seen.files.setdefault(part.name or "", []).append(data)
                else:
                    seen.form[part.name or ""] = data.decode()
        self.seen.append(seen)
        self._changed.set()
        if self.failures:
            status, headers = self.failures.pop(0)
            return _detail(status, "injected failure", headers)
        if self.api_key and request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _detail(401, "missing or wrong API key")
        request[SEEN] = seen
        return await handler(request)

    async def _styles(self, request: web.Request) -> web.Response:
        return web.json_response([p | {"image_url": f"/styles/{p['id']}/image"} for p in PRESETS])

    async def _methods(self, request: web.Request) -> web.Response:
        return web.json_response(self.methods)

    async def _style_image(self, request: web.Request) -> web.Response:
        if request.match_info["id"] not in {p["id"] for p in PRESETS}:
            return _detail(404, "no such style")
        return web.Response(body=_encode(Image.new("RGB", (32, 32), "navy"), "JPEG"))

    async def _create(self, request: web.Request) -> web.Response:
        seen = request[SEEN]
        if "content" not in seen.files:
            return _detail(422, "content is required")
        for data in seen.files["content"] + seen.files.get("style", []):
            try:
                Image.open(io.BytesIO(data)).verify()
            except (UnidentifiedImageError, OSError):
                return _detail(415, "not an image we can read")
        job_id = f"job{next(self._ids)}"
        ahead = sum(1 for j in self.jobs.values() if j.state["status"] not in TERMINAL)
        state = {"id": job_id, "status": "queued", "method": seen.form.get("method", "gatys"),
                 "progress": 0.0, "queue_position": ahead + 1, "eta_seconds": None, "error": None,
                 "result_url": None}  # fmt: skip
        job = FakeJob(job_id, seen.form, seen.files, state, [state])
        self.jobs[job_id] = job
        job.driver = asyncio.create_task(self._drive(job))
        return web.json_response(job.state, status=202, headers={"Location": f"/jobs/{job_id}"})

    async def _drive(self, job: FakeJob) -> None:
        job.set(status="running", queue_position=0, progress=0.0, eta_seconds=8.0)
        job.set(progress=0.5, eta_seconds=4.0)
        await self.gate.wait()
        job.set(progress=0.9, eta_seconds=1.0)
        error = "the engine failed" if self.outcome == "failed" else None
        job.set(status=self.outcome, progress=1.0, eta_seconds=None, queue_position=None,
                error=error, result_url=f"/jobs/{job.id}/result")  # fmt: skip

    def _find(self, request: web.Request) -> FakeJob:
        job = self.jobs.get(request.match_info["id"])
        if job is None:
            raise web.HTTPNotFound(text=json.dumps({"detail": "no such job"}))
        return job

    async def _job(self, request: web.Request) -> web.Response:
        return web.json_response(self._find(request).state)

    async def _cancel(self, request: web.Request) -> web.Response:
        job = self._find(request)
        if job.state["status"] not in TERMINAL:
            if job.driver:
                job.driver.cancel()
            job.set(status="cancelled", queue_position=None, eta_seconds=None)
        return web.json_response(job.state)

    async def _events(self, request: web.Request) -> web.StreamResponse:
        job = self._find(request)
        if not self.sse:
            return _detail(404, "no event stream here")
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        sent = 0
        while True:
            while sent < len(job.history):
                state = job.history[sent]
                sent += 1
                await response.write(f"event: job\ndata: {json.dumps(state)}\n\n".encode())
                if state["status"] in TERMINAL:
                    return response
            job.changed.clear()
            await job.changed.wait()

    async def _result(self, request: web.Request) -> web.Response:
        job = self._find(request)
        if job.state["status"] != "succeeded":
            return _detail(409, "not finished")
        picture = ImageOps.invert(Image.open(io.BytesIO(job.files["content"][0])).convert("RGB"))
        fmt = job.form.get("format", "png").upper()
        return web.Response(body=_encode(picture, fmt), content_type=f"image/{fmt.lower()}")


def _detail(status: int, detail: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"detail": detail}, status=status, headers=headers)


def _encode(picture: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, fmt)
    return buffer.getvalue()

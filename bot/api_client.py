"""The bot's only knowledge of the service: typed calls over docs/http-contract.md."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from bot.sse import sse_events

log = logging.getLogger("bot.api")
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
# Nothing reached the service: safe to repeat even a POST.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class Job(BaseModel):
    id: str
    status: str  # queued | running | succeeded | failed | cancelled
    method: str = "gatys"
    kind: str = "image"  # or "clip": then step and total_steps count frames
    progress: float = 0.0
    step: int = 0
    total_steps: int = 0
    queue_position: int | None = None
    eta_seconds: float | None = None
    error: str | None = None

    @property
    def done(self) -> bool:
        return self.status in TERMINAL


class Style(BaseModel):
    id: str
    title: str
    artist: str = ""
    year: int | str | None = None
    methods: list[str] = ["gatys"]


class Method(BaseModel):
    id: str
    one_pass: bool = False
    any_painting: bool = False


class ServiceError(Exception):
    """The service was unreachable (`status` None) or answered an error status."""

    def __init__(self, detail: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(detail)
        self.detail = detail
        self.status = status
        self.retry_after = retry_after

    @property
    def unavailable(self) -> bool:
        return self.status is None or self.status >= 500


@dataclass(frozen=True)
class JobOptions:
    strength: float = 1.0
    quality: str = "balanced"
    preserve_color: str = "none"
    method: str = "gatys"
    init: str | None = None  # None: the service's default start; "preview": refine the preview
    format: str | None = "png"  # lossless: the document is the full result; None: a clip's own


class StylizeClient:
    """Typed calls; bounded retries with exponential backoff on connection errors and 5xx."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        retries: int = 3,
        backoff_s: float = 0.5,
        max_wait_s: float = 30.0,
        poll_s: float = 2.0,
    ) -> None:
        self.http = http
        self.retries = retries
        self.backoff_s = backoff_s
        self.max_wait_s = max_wait_s
        self.poll_s = poll_s

    @classmethod
    def create(cls, base_url: str, api_key: str | None = None, **kwargs: Any) -> StylizeClient:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        timeout = httpx.Timeout(60.0, connect=5.0)
        return cls(httpx.AsyncClient(base_url=base_url, headers=headers, timeout=timeout), **kwargs)

    async def close(self) -> None:
        await self.http.aclose()

    async def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        idempotent = method != "POST"
        for attempt in range(self.retries + 1):
            try:
                response = await self.http.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                error = ServiceError(f"service unreachable ({type(exc).__name__})")
                retry = idempotent or isinstance(exc, _NOT_SENT)
            else:
                if response.is_success:
                    return response
                error = _error_from(response)
                retry = response.status_code in (502, 503, 504) or (
                    idempotent and response.status_code == 500
                )
            if not retry or attempt == self.retries:
                raise error
            wait = min(error.retry_after or self.backoff_s * 2**attempt, self.max_wait_s)
            log.warning("%s %s failed (%s); retry in %.1f s", method, url, error.detail, wait)
            await asyncio.sleep(wait)
        raise AssertionError("unreachable")

    async def styles(self) -> list[Style]:
        return _parse(_STYLES, (await self._request("GET", "/styles")).content)

    async def methods(self) -> list[Method]:
        """The methods the service runs (GET /methods): which are instant, which take any
        painting."""
        return _parse(_METHODS, (await self._request("GET", "/methods")).content)

    async def style_image(self, style_id: str) -> bytes:
        return (await self._request("GET", f"/styles/{style_id}/image")).content

    async def create_job(
        self, content: bytes, style: bytes | None, preset: str | None, options: JobOptions
    ) -> Job:
        files = [("content", ("content", content, "application/octet-stream"))]
        if style is not None:
            files.append(("style", ("style", style, "application/octet-stream")))
        data = {
            "strength": f"{options.strength:g}",
            "quality": options.quality,
            "preserve_color": options.preserve_color,
            "method": options.method,
        }
        if options.format is not None:
            data["format"] = options.format
        if preset:
            data["preset"] = preset
        if options.init is not None:  # the service refuses init for the trained models
            data["init"] = options.init
        return _parse(_JOB, (await self._request("POST", "/jobs", files=files, data=data)).content)

    async def job(self, job_id: str) -> Job:
        return _parse(_JOB, (await self._request("GET", f"/jobs/{job_id}")).content)

    async def cancel(self, job_id: str) -> Job:
        return _parse(_JOB, (await self._request("DELETE", f"/jobs/{job_id}")).content)

    async def result(self, job_id: str) -> bytes:
        return (await self._request("GET", f"/jobs/{job_id}/result")).content

    async def follow(self, job_id: str) -> AsyncIterator[Job]:
        """Job updates until a terminal status: Server-Sent Events, polling if they fail."""
        try:
            async for job in self._events(job_id):
                yield job
                if job.done:
                    return
        except httpx.TransportError as exc:
            log.info("event stream of a job broke (%s); polling", type(exc).__name__)
        while True:
            job = await self.job(job_id)
            yield job
            if job.done:
                return
            await asyncio.sleep(self.poll_s)

    async def _events(self, job_id: str) -> AsyncIterator[Job]:
        timeout = httpx.Timeout(60.0, connect=5.0)
        async with self.http.stream("GET", f"/jobs/{job_id}/events", timeout=timeout) as stream:
            if stream.status_code != 200:
                log.info("no event stream (HTTP %s); polling", stream.status_code)
                return
            async for event, data in sse_events(stream.aiter_lines()):
                if event == "job":
                    yield _parse(_JOB, data)


_JOB = TypeAdapter(Job)
_STYLES = TypeAdapter(list[Style])
_METHODS = TypeAdapter(list[Method])


def _parse(adapter: TypeAdapter[Any], text: str | bytes) -> Any:
    try:
        return adapter.validate_json(text)
    except ValidationError as exc:
        # Surfaces as "service unavailable" to the user, not as a crash.
        detail = f"unexpected answer from the service ({exc.error_count()} errors)"
        raise ServiceError(detail, 502) from None


def _error_from(response: httpx.Response) -> ServiceError:
    try:
        detail = response.json().get("detail") or response.reason_phrase
    except (ValueError, AttributeError):
        detail = response.reason_phrase
    if not isinstance(detail, str):  # FastAPI's own 422s carry a list
        detail = response.reason_phrase
    retry_after = response.headers.get("retry-after", "")
    try:
        wait = float(retry_after)
    except ValueError:  # absent, or an HTTP date: fall back to our own backoff
        wait = None
    return ServiceError(detail, response.status_code, wait)

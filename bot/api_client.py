"""The bot's only knowledge of the service: a typed client over its HTTP contract."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
from pydantic import BaseModel

log = logging.getLogger("bot.api")
TERMINAL = {"succeeded", "failed", "cancelled"}


class Job(BaseModel):
    id: str
    status: str
    progress: float = 0.0
    queue_position: int | None = None
    eta_seconds: float | None = None
    error: str | None = None

    @property
    def done(self) -> bool:
        return self.status in TERMINAL


class Style(BaseModel):
    id: str
    title: str
    artist: str
    year: str
    methods: list[str] = ["gatys"]


class ServiceError(Exception):
    """The service could not be reached or refused the request; `status` is None if unreachable."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
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


class StylizeClient:
    """Typed calls to the service, with bounded retries and backoff on connection errors and 5xx."""

    def __init__(self, http: httpx.AsyncClient, retries: int = 3, backoff_s: float = 0.5) -> None:
        self.http = http
        self.retries = retries
        self.backoff_s = backoff_s

    @classmethod
    def create(cls, base_url: str, api_key: str | None = None) -> StylizeClient:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        timeout = httpx.Timeout(30.0, connect=5.0)
        return cls(httpx.AsyncClient(base_url=base_url, headers=headers, timeout=timeout))

    async def close(self) -> None:
        await self.http.aclose()

    async def _request(self, method: str, url: str, **kwargs) -> httpx.Response:
        delay = self.backoff_s
        for attempt in range(self.retries + 1):
            try:
                response = await self.http.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                error = ServiceError(f"service unreachable: {type(exc).__name__}")
            else:
                if response.status_code < 400:
                    return response
                error = _error_from(response)
                if not error.unavailable:
                    raise error
            if attempt == self.retries:
                raise error
            wait = min(error.retry_after or delay, 30.0)
            log.warning("service call failed, retrying", extra={"attempt": attempt + 1})
            await asyncio.sleep(wait)
            delay *= 2
        raise AssertionError("unreachable")

    async def styles(self) -> list[Style]:
        return [Style(**s) for s in (await self._request("GET", "/styles")).json()]

    async def style_image(self, style_id: str) -> bytes:
        return (await self._request("GET", f"/styles/{style_id}/image")).content

    async def create_job(
        self, content: bytes, style: bytes | None, preset: str | None, options: JobOptions
    ) -> Job:
        files = [("content", ("content.jpg", content, "application/octet-stream"))]
        if style is not None:
            files.append(("style", ("style.jpg", style, "application/octet-stream")))
        data = {
            "strength": str(options.strength),
            "quality": options.quality,
            "preserve_color": options.preserve_color,
            "method": options.method,
            "format": "png",
        }
        if preset:
            data["preset"] = preset
        return Job(**(await self._request("POST", "/jobs", files=files, data=data)).json())

    async def job(self, job_id: str) -> Job:
        return Job(**(await self._request("GET", f"/jobs/{job_id}")).json())

    async def cancel(self, job_id: str) -> Job:
        return Job(**(await self._request("DELETE", f"/jobs/{job_id}")).json())

    async def result(self, job_id: str) -> bytes:
        return (await self._request("GET", f"/jobs/{job_id}/result")).content

    async def preview(self, job_id: str) -> bytes | None:
        try:
            return (await self._request("GET", f"/jobs/{job_id}/preview")).content
        except ServiceError as exc:
            if exc.status == 404:
                return None
            raise

    async def follow(self, job_id: str, poll_s: float = 1.0) -> AsyncIterator[Job]:
        """Job updates until a terminal status: Server-Sent Events, or polling if they fail."""
        try:
            async with self.http.stream(
                "GET", f"/jobs/{job_id}/events", timeout=httpx.Timeout(30.0, read=60.0)
            ) as stream:
                if stream.status_code == 200:
                    async for line in stream.aiter_lines():
                        if line.startswith("data:"):
                            job = Job(**json.loads(line[5:]))
                            yield job
                            if job.done:
                                return
        except (httpx.TransportError, json.JSONDecodeError):
            log.info("event stream broke; polling instead")
        while True:
            job = await self.job(job_id)
            yield job
            if job.done:
                return
            await asyncio.sleep(poll_s)


def _error_from(response: httpx.Response) -> ServiceError:
    try:
        detail = response.json().get("detail", response.reason_phrase)
    except ValueError:
        detail = response.reason_phrase
    retry = response.headers.get("retry-after")
    return ServiceError(
        str(detail), response.status_code, float(retry) if retry and retry.isdigit() else None
    )

"""The job queue on Redis, built on SAQ: many API processes enqueue, many workers run jobs.

State lives in Redis only, so an API restart loses nothing and any API process can answer
for any job. SAQ provides the queue, per-job progress and metadata, abort, heartbeats and
the sweep that retries the jobs of a worker that died. Our own keys hold the bytes SAQ
should not carry: the decoded inputs (until a worker takes them), the result and the
latest preview, each with a TTL.
"""

from __future__ import annotations

import asyncio
import functools
import io
import json
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, fields
from pathlib import Path
from typing import ParamSpec, TypeVar

from PIL import Image
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from saq import Job, Queue
from saq.job import Status

from api.clips import ClipSource
from api.jobs import JobInput, JobNotFound, JobRecord, QueueFull, QueueUnavailable, new_record
from core.params import StyleParams

QUEUE_NAME = "stylize"
FUNCTION = "stylize"
CANCEL_REASON = "cancelled"  # the abort key's value when a user cancels (a sweep writes its own)
SWEPT_ERROR = "the worker running this job stopped unexpectedly; the job could not be completed"
_RECORD_FIELDS = {f.name for f in fields(JobRecord)}

# Redis gone (restarting, network cut): what redis-py raises until it reconnects by itself.
REDIS_UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
P = ParamSpec("P")
T = TypeVar("T")


def _redis_unreachable_is_unavailable(
    method: Callable[P, Awaitable[T]],
) -> Callable[P, Awaitable[T]]:
    """Redis unreachable becomes QueueUnavailable: a 503 with Retry-After, not a 500."""

    @functools.wraps(method)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await method(*args, **kwargs)
        except REDIS_UNREACHABLE as exc:
            raise QueueUnavailable() from exc

    return wrapper


def _key(kind: str, job_id: str) -> str:
    return f"stylize:{kind}:{job_id}"


def encode_input(job: JobInput) -> bytes:
    """Inputs as one JSON document with PNG images (lossless), for the worker to decode."""

    def png(img: Image.Image) -> str:
        buf = io.BytesIO()
        img.save(buf, "PNG", compress_level=1)
        return buf.getvalue().hex()

    return json.dumps(
        {
            "content": png(job.content),
            "styles": [png(s) for s in job.styles],
            "params": asdict(job.params),
            "format": job.format,
            "owner": job.owner,
            # A clip's bytes travel under their own key (_key("clip", id)), not in JSON.
            "clip": None
            if job.clip is None
            else {
                "kind": job.clip.kind,
                "frames": job.clip.frames,
                "seconds": job.clip.seconds,
                "temporal": job.clip.temporal,
            },
        }
    ).encode()


def decode_input(
    data: bytes, clip_bytes: bytes | None = None, scratch: Path | None = None
) -> JobInput:
    """The job back; a clip's bytes (from their own key) are written to `scratch`.
    ValueError if the job is a clip and its bytes are gone."""
    doc = json.loads(data)
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in doc["params"].items()}

    def image(hexed: str) -> Image.Image:
        return Image.open(io.BytesIO(bytes.fromhex(hexed))).convert("RGB")

    clip = None
    if doc.get("clip"):
        if clip_bytes is None or scratch is None:
            raise ValueError("the job's clip has expired")
        path = scratch / f"{secrets.token_hex(12)}.clip"
        path.write_bytes(clip_bytes)
        meta = doc["clip"]
        clip = ClipSource(path, meta["kind"], meta["frames"], meta["seconds"], meta["temporal"])
    return JobInput(
        image(doc["content"]),
        [image(s) for s in doc["styles"]],
        StyleParams(**params),
        doc["format"],
        doc["owner"],
        clip,
    )


def record_from(job: Job) -> JobRecord:
    """Our public record from SAQ's job: status from SAQ, details from its metadata."""
    meta = {k: v for k, v in (job.meta or {}).get("record", {}).items() if k in _RECORD_FIELDS}
    record = JobRecord(**meta)
    outcome = job.result if isinstance(job.result, dict) else {}
    if job.status in (Status.NEW, Status.QUEUED):
        record.status = "queued"
    elif job.status in (Status.ACTIVE, Status.ABORTING):
        record.status = "running"
    elif job.status == Status.ABORTED:
        record.status = "cancelled"
    elif job.status == Status.FAILED:
        record.status, record.error = "failed", SWEPT_ERROR
    elif job.status == Status.COMPLETE:
        record.status = outcome.get("status", "failed")
        record.error = outcome.get("error")
    if record.done and record.finished_at is None:
        record.finished_at = (job.completed or job.touched or 0) / 1000 or time.time()
    return record


class RedisJobQueue:
    """The JobQueue interface over SAQ; `api.redis_worker` runs the jobs."""

    def __init__(
        self,
        url: str,
        max_waiting: int,
        result_ttl_s: float,
        *,
        heartbeat_s: int = 30,
        retries: int = 2,
        poll_s: float = 0.25,
    ) -> None:
        self.queue = Queue.from_url(url, name=QUEUE_NAME)
        self.redis = self.queue.redis
        self.max_waiting = max_waiting
        self.result_ttl_s = result_ttl_s
        self.heartbeat_s = heartbeat_s
        self.retries = retries
        self.poll_s = poll_s

    async def connect(self) -> None:
        await self.queue.connect()

    async def close(self) -> None:
        await self.queue.disconnect()

    @_redis_unreachable_is_unavailable
    async def submit(self, job: JobInput) -> JobRecord:
        if await self.depth() >= self.max_waiting:
            raise QueueFull(retry_after=30)
        record = new_record(job)
        job_id = record.id
        ttl = int(self.result_ttl_s) + 24 * 3600  # inputs wait at most a day for a worker
        if job.clip is not None:
            clip = await asyncio.to_thread(job.clip.path.read_bytes)
            await self.redis.set(_key("clip", job_id), clip, ex=ttl)
            job.discard()  # the workers read it from Redis
        await self.redis.set(_key("input", job_id), encode_input(job), ex=ttl)
        saq_job = Job(
            FUNCTION,
            kwargs={"job_id": job_id},
            key=job_id,
            timeout=0,
            heartbeat=self.heartbeat_s,
            retries=self.retries,
            ttl=int(self.result_ttl_s),
            meta={"record": asdict(record)},
        )
        await self.queue.enqueue(saq_job)
        return record

    async def _job(self, job_id: str) -> Job:
        job = await self.queue.job(job_id)
        if job is None:
            raise JobNotFound(job_id)
        return job

    @_redis_unreachable_is_unavailable
    async def get(self, job_id: str) -> JobRecord:
        record = record_from(await self._job(job_id))
        if record.status == "succeeded" and not await self.redis.exists(_key("result", job_id)):
            record.expired = True
        return record

    @_redis_unreachable_is_unavailable
    async def queue_position(self, job_id: str) -> int | None:
        job = await self._job(job_id)
        if job.status in (Status.ACTIVE, Status.ABORTING):
            return 0
        if job.status not in (Status.NEW, Status.QUEUED):
            return None
        index = await self.redis.lpos(self.queue.namespace("queued"), job.id)
        active = await self.queue.count("active")
        return (index if index is not None else 0) + active

    @_redis_unreachable_is_unavailable
    async def eta_seconds(self, job_id: str) -> float | None:
        record = await self.get(job_id)
        if record.done:
            return 0.0
        if record.status == "running" and record.seconds_per_step is not None:
            return round(record.seconds_per_step * (record.total_steps - record.step), 1)
        return None  # waiting jobs: unknown until the workers report their speed

    @_redis_unreachable_is_unavailable
    async def cancel(self, job_id: str) -> JobRecord:
        job = await self._job(job_id)
        if job.status in (Status.NEW, Status.QUEUED, Status.ACTIVE):
            # The abort key must outlive the slowest step: workers check it once per step.
            await self.queue.abort(job, CANCEL_REASON, ttl=3600)
        return await self.get(job_id)

    @_redis_unreachable_is_unavailable
    async def result(self, job_id: str) -> bytes | None:
        await self._job(job_id)
        return await self.redis.get(_key("result", job_id))

    @_redis_unreachable_is_unavailable
    async def preview(self, job_id: str) -> bytes | None:
        await self._job(job_id)
        return await self.redis.get(_key("preview", job_id))

    async def events(self, job_id: str) -> AsyncIterator[JobRecord]:
        last: tuple | None = None
        while True:
            record = await self.get(job_id)
            state = (record.status, record.step, record.total_steps)
            if state != last:
                last = state
                yield record
                if record.done:
                    return
            await asyncio.sleep(self.poll_s)

    @_redis_unreachable_is_unavailable
    async def depth(self) -> int:
        return await self.queue.count("queued")

    async def available(self) -> bool:
        try:
            return bool(await self.redis.ping())
        except REDIS_UNREACHABLE:
            return False

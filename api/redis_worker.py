"""`python -m api.redis_worker` (`make worker`): runs jobs from the Redis queue, one at a time.

Each worker process loads the engine once, keeps it warm and owns one device; start one per
GPU, on any host that reaches the same Redis. A worker killed mid-job stops sending
heartbeats; SAQ's sweep (run by every live worker) then retries the job elsewhere, up to the
retry limit, after which it is marked failed with a clear error.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import redis
from saq import Worker

from api.clips import clip_limits, paint_clip, remove_scratch
from api.jobs import JobInput, JobRecord
from api.logs import configure_logging, job_id_var
from api.redis_queue import (
    CANCEL_REASON,
    FUNCTION,
    REDIS_UNREACHABLE,
    RedisJobQueue,
    _key,
    decode_input,
)
from api.settings import Settings
from api.worker import ClipReporter, preview_bytes
from core.images import encode_image
from core.stylizer import Cancelled, Progress

log = logging.getLogger("api.redis_worker")
UPDATE_EVERY_S = 0.25
REDIS_PATIENCE_S = 120  # how long a finished job's result waits for Redis to come back


async def stylize(ctx: dict[str, Any], *, job_id: str) -> dict:
    """The SAQ task: run one job on this worker's engine; never raises for a job's own failure."""
    job, redis, engine = ctx["job"], ctx["redis"], ctx["engine"]
    settings: Settings = ctx["settings"]
    token = job_id_var.set(job_id)
    try:
        if await redis.exists(_key("result", job_id)):
            # An earlier attempt finished but Redis went away before SAQ recorded it.
            return {"status": "succeeded"}
        data = await redis.get(_key("input", job_id))
        if data is None:
            return {"status": "failed", "error": "the job's inputs have expired"}
        clip = await redis.get(_key("clip", job_id))
        try:
            job_input = decode_input(data, clip, ctx["scratch"])
        except ValueError as exc:
            return {"status": "failed", "error": str(exc)}
        record = JobRecord(**job.meta["record"])
        record = replace(record, status="running", started_at=time.time())
        await job.update(meta={"record": record.__dict__})
        return await _run(job, redis, engine, settings, job_input, record)
    finally:
        job_id_var.reset(token)


async def _run(
    job, redis, engine, settings: Settings, job_input: JobInput, record: JobRecord
) -> dict:
    loop = asyncio.get_running_loop()
    cancel = threading.Event()
    last = [0.0]

    abort_key = job.abort_id
    sync_redis = _sync_redis(settings.redis_url)

    def cancelled() -> bool:
        # A cancel through the API sets SAQ's abort key: checked every step (every frame of
        # a clip), so a running job stops within one, as in the in-process queue.
        return cancel.is_set() or _aborted(sync_redis, abort_key)

    def report(step: int, total: int, preview: bytes | None, final: bool) -> None:
        now = time.monotonic()  # runs on the engine thread
        if now - last[0] < UPDATE_EVERY_S and not final:
            return
        last[0] = now
        record.step, record.total_steps = step, total
        record.seconds_per_step = (time.time() - (record.started_at or time.time())) / max(step, 1)
        # Progress doubles as the heartbeat that tells SAQ this worker is alive.
        asyncio.run_coroutine_threadsafe(_report(job, redis, record, preview, settings), loop)

    def on_progress(p: Progress) -> None:
        if cancelled():
            raise Cancelled
        report(p.step, p.total_steps, preview_bytes(p), p.step == p.total_steps)

    def paint() -> bytes:
        if job_input.clip is not None:
            reporter = ClipReporter(lambda f, t, preview: report(f, t, preview, False), cancelled)
            return paint_clip(
                engine,
                job_input.clip,
                job_input.styles,
                job_input.params,
                job_input.format,  # type: ignore[arg-type]
                clip_limits(settings),
                reporter,
            )
        result = engine.stylize(job_input.content, job_input.styles, job_input.params, on_progress)
        return encode_image(result.image, job_input.format)

    future = loop.run_in_executor(_engine_thread, paint)
    try:
        data = await asyncio.shield(future)
    except asyncio.CancelledError:  # aborted through the API: stop within one step
        cancel.set()
        try:
            await future
        except Cancelled:
            pass
        raise
    except Cancelled:
        await _drop_inputs(redis, record.id)
        return {"status": "cancelled"}
    except (ValueError, MemoryError) as exc:
        await _drop_inputs(redis, record.id)
        return {"status": "failed", "error": str(exc) or "out of memory"}
    except Exception:
        log.exception("job crashed")
        await _drop_inputs(redis, record.id)
        return {"status": "failed", "error": "internal error while stylizing"}
    finally:
        job_input.discard()
    # The work is done: if Redis is away (restarting), wait for it rather than lose the result.
    await _when_redis_is_back(
        lambda: redis.set(_key("result", record.id), data, ex=int(settings.result_ttl_s)),
        patience_s=REDIS_PATIENCE_S,
    )
    await _when_redis_is_back(lambda: _drop_inputs(redis, record.id), REDIS_PATIENCE_S)
    return {"status": "succeeded"}


async def _drop_inputs(redis, job_id: str) -> None:
    """A job that ended needs its inputs no more (a clip's can weigh megabytes)."""
    try:
        await redis.delete(_key("input", job_id), _key("clip", job_id))
    except REDIS_UNREACHABLE:
        pass  # they expire with their TTL


def _aborted(client: redis.Redis, abort_key: str) -> bool:
    """True when a user cancelled the job. SAQ's sweep also writes this key when it catches a
    job between a worker's dequeue and its ACTIVE mark; it then re-queues the job, and the
    attempt already running must not read that as a cancel."""
    try:
        return client.get(abort_key) == CANCEL_REASON.encode()
    except REDIS_UNREACHABLE:
        return False  # Redis away for a moment: the job runs on; its result waits for Redis


async def _when_redis_is_back(operation: Callable[[], Awaitable[Any]], patience_s: float) -> Any:
    deadline = time.monotonic() + patience_s
    while True:
        try:
            return await operation()
        except REDIS_UNREACHABLE:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def _report(job, redis, record: JobRecord, preview: bytes | None, settings: Settings) -> None:
    await job.update(meta={"record": record.__dict__}, progress=record.progress)
    if preview is not None:
        await redis.set(_key("preview", record.id), preview, ex=int(settings.result_ttl_s))


_engine_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine")


@lru_cache(maxsize=4)
def _sync_redis(url: str | None) -> redis.Redis:
    return redis.Redis.from_url(url)  # type: ignore[arg-type]


def build_worker(
    settings: Settings, engine: Any = None, *, sweep_s: float = 10, worker_id: str | None = None
) -> tuple[Worker, RedisJobQueue]:
    if not settings.redis_url:
        raise SystemExit("REDIS_URL is not set: the worker takes its jobs from Redis")
    queue = RedisJobQueue(settings.redis_url, settings.queue_size, settings.result_ttl_s)

    async def startup(ctx: dict[str, Any]) -> None:
        nonlocal engine
        if engine is None:
            from core.engine import Engine

            engine = await asyncio.to_thread(Engine.load, settings.device)
            if settings.warm_up:
                await asyncio.to_thread(engine.warm_up)
        scratch = Path(tempfile.mkdtemp(prefix="stylize-worker-clips-"))  # clips being painted
        ctx.update(engine=engine, redis=queue.redis, settings=settings, scratch=scratch)
        log.info("worker ready")

    async def shutdown(ctx: dict[str, Any]) -> None:
        if "scratch" in ctx:
            remove_scratch(ctx["scratch"])

    worker = Worker(
        queue.queue,
        functions=[(FUNCTION, stylize)],
        id=worker_id,
        concurrency=1,
        startup=startup,
        shutdown=shutdown,
        timers={"sweep": sweep_s, "abort": 0.5},
        cancellation_hard_deadline_s=120,
    )
    return worker, queue


def main() -> None:
    settings = Settings()
    configure_logging(settings.log_level)
    worker, _ = build_worker(settings)
    asyncio.run(worker.start())


if __name__ == "__main__":
    main()

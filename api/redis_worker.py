"""`python -m api.redis_worker` (`make worker`): runs jobs from the Redis queue, one at a time.

Each worker process loads the engine once, keeps it warm and owns one device; start one per
GPU, on any host that reaches the same Redis. A worker killed mid-job stops sending
heartbeats; SAQ's sweep (run by every live worker) then retries the job elsewhere, up to the
retry limit, after which it is marked failed with a clear error.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import lru_cache
from typing import Any

import redis
from saq import Worker

from api.jobs import JobRecord
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
from api.worker import preview_bytes
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
        job_input = decode_input(data)
        record = JobRecord(**job.meta["record"])
        record = replace(record, status="running", started_at=time.time())
        await job.update(meta={"record": record.__dict__})
        return await _run(job, redis, engine, settings, job_input, record)
    finally:
        job_id_var.reset(token)


async def _run(job, redis, engine, settings: Settings, job_input, record: JobRecord) -> dict:
    loop = asyncio.get_running_loop()
    cancel = threading.Event()
    last = [0.0]

    abort_key = job.abort_id
    sync_redis = _sync_redis(settings.redis_url)

    def on_progress(p: Progress) -> None:  # runs on the engine thread
        # A cancel through the API sets SAQ's abort key: checked every step, so a running
        # optimisation stops within one step, as in the in-process queue.
        if cancel.is_set() or _aborted(sync_redis, abort_key):
            raise Cancelled
        now = time.monotonic()
        if now - last[0] < UPDATE_EVERY_S and p.step != p.total_steps:
            return
        last[0] = now
        record.step, record.total_steps = p.step, p.total_steps
        record.seconds_per_step = (time.time() - (record.started_at or time.time())) / max(
            p.step, 1
        )
        preview = preview_bytes(p)
        # Progress doubles as the heartbeat that tells SAQ this worker is alive.
        asyncio.run_coroutine_threadsafe(_report(job, redis, record, preview, settings), loop)

    future = loop.run_in_executor(
        _engine_thread,
        lambda: engine.stylize(job_input.content, job_input.styles, job_input.params, on_progress),
    )
    try:
        result = await asyncio.shield(future)
    except asyncio.CancelledError:  # aborted through the API: stop within one step
        cancel.set()
        try:
            await future
        except Cancelled:
            pass
        raise
    except Cancelled:
        return {"status": "cancelled"}
    except (ValueError, MemoryError) as exc:
        return {"status": "failed", "error": str(exc) or "out of memory"}
    except Exception:
        log.exception("job crashed")
        return {"status": "failed", "error": "internal error while stylizing"}
    data = encode_image(result.image, job_input.format)
    # The work is done: if Redis is away (restarting), wait for it rather than lose the result.
    await _when_redis_is_back(
        lambda: redis.set(_key("result", record.id), data, ex=int(settings.result_ttl_s)),
        patience_s=REDIS_PATIENCE_S,
    )
    await _when_redis_is_back(lambda: redis.delete(_key("input", record.id)), REDIS_PATIENCE_S)
    return {"status": "succeeded"}


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
        ctx.update(engine=engine, redis=queue.redis, settings=settings)
        log.info("worker ready")

    worker = Worker(
        queue.queue,
        functions=[(FUNCTION, stylize)],
        id=worker_id,
        concurrency=1,
        startup=startup,
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

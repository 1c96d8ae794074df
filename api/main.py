"""The app factory: settings, the engine kept warm, the queue and its worker, the routes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.clips import clip_limits, make_scratch, remove_scratch
from api.errors import install_error_handlers
from api.jobs import InProcessQueue
from api.logs import configure_logging
from api.metrics import Metrics
from api.middleware import BodyLimits, RequestContext
from api.routes import health, jobs, methods, styles, stylize
from api.security import RateLimiter
from api.settings import Settings
from api.web import mount_web_page
from api.worker import Worker
from core.stylizer import Stylizer

log = logging.getLogger("api")


def _load_engine(settings: Settings) -> Stylizer:
    from core.engine import Engine  # heavy import: only when no stylizer is injected

    return Engine.load(settings.device)


async def _sweep_forever(queue: InProcessQueue, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        queue.sweep()


def _lifespan(stylizer: Stylizer | None) -> Callable:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings: Settings = app.state.settings
        scratch, owned = make_scratch(settings)
        app.state.scratch = scratch
        try:
            if settings.redis_url:
                async with _enqueue_only(app, settings):
                    yield
            else:
                async with _serve_here(app, settings, stylizer):
                    yield
        finally:
            app.state.scratch = None
            if owned:
                remove_scratch(scratch)

    return lifespan


@asynccontextmanager
async def _serve_here(
    app: FastAPI, settings: Settings, stylizer: Stylizer | None
) -> AsyncIterator[None]:
    """No broker: the engine and its worker thread live in this process."""
    state = app.state
    started = time.perf_counter()
    engine = stylizer or await asyncio.to_thread(_load_engine, settings)
    state.device = str(getattr(engine, "device", "unknown"))
    methods_for = getattr(engine, "methods_for", None)
    state.methods_for = methods_for or (lambda _preset: ["gatys"])
    fast_models = getattr(engine, "fast_models", None)
    state.fast_models = fast_models() if fast_models else {}
    warm = getattr(engine, "warm_up", None)
    state.warm_up_seconds = (
        round(await asyncio.to_thread(warm), 2) if warm and settings.warm_up else None
    )
    _fit_size_limit(settings, engine)
    worker = Worker(
        state.queue,
        engine,
        state.metrics,
        _batch_max(settings, state.device),
        clip_limits=clip_limits(settings),
    )
    worker.start()
    sweeper = asyncio.create_task(_sweep_forever(state.queue, min(30.0, settings.result_ttl_s / 4)))
    state.ready = True
    log.info("ready", extra={"seconds": round(time.perf_counter() - started, 2)})
    try:
        yield
    finally:
        state.ready = False
        sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeper
        await asyncio.to_thread(worker.stop)


def _batch_max(settings: Settings, device: str) -> int:
    """BATCH_MAX, or its default: batches pay on a GPU, not on a CPU (docs/performance.md)."""
    if settings.batch_max is not None:
        return settings.batch_max
    return 8 if device.startswith("cuda") else 1


def _fit_size_limit(settings: Settings, engine: Stylizer) -> None:
    """Lower MAX_SIZE to what the device's memory holds, so big jobs are refused up front."""
    max_side = getattr(engine, "max_side", None)
    fits = max_side() if max_side else None
    if fits is not None and fits < settings.max_size:
        log.warning(
            "MAX_SIZE lowered to fit this device's memory",
            extra={"configured": settings.max_size, "max_size": fits},
        )
        settings.max_size = fits


@asynccontextmanager
async def _enqueue_only(app: FastAPI, settings: Settings) -> AsyncIterator[None]:
    """Redis mode: jobs run in `make worker` processes; this process enqueues and reports."""
    from api.redis_queue import RedisJobQueue

    queue = RedisJobQueue(
        settings.redis_url,  # type: ignore[arg-type]
        settings.queue_size,
        settings.result_ttl_s,
        heartbeat_s=settings.job_heartbeat_s,
    )
    await queue.connect()
    app.state.queue = queue
    # The workers serve the shipped checkpoints; their metadata says which presets have which.
    from core.engine import SHIPPED_CHECKPOINTS
    from core.models.checkpoint import index

    fast_models = index(sorted(SHIPPED_CHECKPOINTS.glob("*.pt")))
    app.state.fast_models = fast_models
    app.state.methods_for = lambda preset: [
        "gatys",
        *(m for m, styles in fast_models.items() if preset in styles),
    ]
    app.state.device = "workers"
    app.state.warm_up_seconds = None
    app.state.ready = True
    try:
        yield
    finally:
        app.state.ready = False
        await queue.close()


def create_app(settings: Settings | None = None, stylizer: Stylizer | None = None) -> FastAPI:
    """Build the service; `stylizer` replaces the real engine (tests inject fakes)."""
    settings = settings or Settings()
    configure_logging(settings.log_level)
    app = FastAPI(
        title="stylize",
        version="0.1.0",
        summary="Neural style transfer: a photo in, the photo in a painting's style out.",
        lifespan=_lifespan(stylizer),
    )
    app.state.settings = settings
    app.state.ready = False
    app.state.metrics = Metrics()
    app.state.queue = InProcessQueue(
        settings.queue_size, settings.result_ttl_s, settings.max_finished_jobs
    )
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_minute)
    app.state.methods_for = lambda _preset: ["gatys"]
    app.state.fast_models = {}
    app.state.scratch = None  # the clips' folder, while the service runs
    install_error_handlers(app)
    for router in (stylize.router, jobs.router, styles.router, methods.router, health.router):
        app.include_router(router)
    if settings.web_ui:
        mount_web_page(app)
    # Room for the content (a photo or a clip), the allowed style images and the form fields.
    content_limit = max(settings.max_upload_bytes, settings.max_clip_bytes)
    body_limit = content_limit + settings.max_upload_bytes * settings.max_styles + 64 * 1024
    app.add_middleware(
        BodyLimits, max_bytes=body_limit, idle_timeout_s=settings.upload_idle_timeout_s
    )
    app.add_middleware(RequestContext)
    return app

"""Accepting a job: rate limit, read and check the form, queue it."""

from __future__ import annotations

import logging

from fastapi import HTTPException, Request

from api.deps import client_host
from api.jobs import JobInput, JobQueue, JobRecord, QueueFull
from api.settings import Settings
from api.uploads import JobForm, build_job
from core.models import ARBITRARY_METHODS
from core.params import ONE_PASS_METHODS

log = logging.getLogger("api.submit")


async def submit_job(
    request: Request, form: JobForm, settings: Settings, queue: JobQueue, client: str
) -> JobRecord:
    state = request.app.state
    state.rate_limiter.check(client or client_host(request))

    def clip_method(preset: str | None) -> str | None:
        """A clip that names no method: the fastest one-pass model for its painting (the
        per-painting networks first, docs/models.md)."""
        served = _available(state, preset)
        return next((m for m in ONE_PASS_METHODS if m in served), None)

    job = await build_job(form, settings, client, state.scratch, clip_method)
    try:
        _check_method(job, _available(state, job.params.preset))
        record = await queue.submit(job)
    except QueueFull:
        job.discard()
        state.metrics.rejected.labels(reason="queue_full").inc()
        raise
    except BaseException:
        job.discard()
        raise
    state.metrics.submitted.inc()
    log.info("job queued", extra={"job_id": record.id})
    return record


def _available(state, preset: str | None) -> list[str]:
    if preset:
        return state.methods_for(preset)
    # An uploaded painting: per-style networks cannot take it; adain and transformer can.
    return ["gatys", *(m for m in ARBITRARY_METHODS if state.fast_models.get(m))]


def _check_method(job: JobInput, available: list[str]) -> None:
    method = job.params.method
    if method not in available:
        where = f"preset {job.params.preset}" if job.params.preset else "an uploaded style image"
        raise HTTPException(
            422, f"method: {method} is not available for {where}; available: {', '.join(available)}"
        )
    if job.params.init == "preview":
        _check_preview(job.params.preset, available)


def _check_preview(preset: str | None, available: list[str]) -> None:
    """init=preview starts from a trained model's output: the painting must have one (a
    preset's own network, or adain or the transformer, which take any painting)."""
    if set(available) - {"gatys"}:
        return
    what = f"preset {preset} has" if preset else "an uploaded style image has"
    raise HTTPException(
        422,
        f"init: preview needs a trained model for the painting; {what} none (use "
        "init=content, or a method listed in GET /methods with one_pass and any_painting)",
    )

"""Accepting a job: rate limit, read and check the form, queue it."""

from __future__ import annotations

import logging

from fastapi import Request

from api.deps import client_host
from api.jobs import JobQueue, JobRecord, QueueFull
from api.settings import Settings
from api.uploads import JobForm, build_job

log = logging.getLogger("api.submit")


async def submit_job(
    request: Request, form: JobForm, settings: Settings, queue: JobQueue, client: str
) -> JobRecord:
    state = request.app.state
    state.rate_limiter.check(client or client_host(request))
    job = await build_job(form, settings, owner=client)
    available = state.methods_for(job.params.preset) if job.params.preset else ["gatys"]
    if job.params.method != "gatys" and job.params.method not in available:
        from fastapi import HTTPException

        raise HTTPException(422, f"method: {job.params.method} is not available for this style")
    try:
        record = await queue.submit(job)
    except QueueFull:
        state.metrics.rejected.labels(reason="queue_full").inc()
        raise
    state.metrics.submitted.inc()
    log.info("job queued", extra={"job_id": record.id})
    return record

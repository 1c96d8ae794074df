"""Turning internal job records into the public JSON of the contract."""

from __future__ import annotations

from api.jobs import JobNotFound, JobQueue, JobRecord, iso
from api.schemas import JobPublic, JobStatus


async def job_public(queue: JobQueue, record: JobRecord) -> JobPublic:
    position = eta = None
    if not record.done:
        try:
            position = await queue.queue_position(record.id)
            eta = await queue.eta_seconds(record.id)
        except JobNotFound:  # dropped in between: report what we have
            pass
    return JobPublic(
        id=record.id,
        status=JobStatus(record.status),
        method=record.method,
        kind=record.kind,
        progress=round(record.progress, 4),
        step=record.step,
        total_steps=record.total_steps,
        queue_position=position,
        eta_seconds=eta,
        error=record.error,
        created_at=iso(record.created_at),  # type: ignore[arg-type]
        started_at=iso(record.started_at),
        finished_at=iso(record.finished_at),
        result_url=f"/jobs/{record.id}/result" if record.status == "succeeded" else None,
        preview_url=f"/jobs/{record.id}/preview",
    )

"""Asynchronous jobs: submit, follow, fetch, cancel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from sse_starlette import EventSourceResponse

from api.deps import ClientDep, QueueDep, SettingsDep, get_client
from api.jobs import JobNotFound, JobQueue, JobRecord
from api.presenters import job_public
from api.schemas import ErrorPublic, JobPublic
from api.submit import submit_job
from api.uploads import JobForm, job_form, require_multipart
from core.clips.video import MEDIA_TYPES as CLIP_MEDIA_TYPES
from core.images import MEDIA_TYPES

# Authentication first: an anonymous caller learns nothing, not even a 415.
router = APIRouter(prefix="/jobs", tags=["jobs"], dependencies=[Depends(get_client)])
ERRORS = {
    code: {"model": ErrorPublic} for code in (400, 401, 404, 408, 409, 410, 413, 415, 422, 429, 503)
}
RESULT_TYPES: dict[str, str] = {**MEDIA_TYPES, **CLIP_MEDIA_TYPES}
IMAGE_TYPES = {"content": {t: {} for t in dict.fromkeys(RESULT_TYPES.values())}}


async def owned(queue: JobQueue, job_id: str, client: str) -> JobRecord:
    """The job if this client may see it; others get 404, as if it did not exist."""
    record = await queue.get(job_id)
    if record.owner != client:
        raise JobNotFound(job_id)
    return record


# OpenAPI links: what a client (and a stateful fuzzer) can do with a new job's id.
_JOB_LINKS = {
    name: {"operationId": operation, "parameters": {"job_id": "$response.body#/id"}}
    for name, operation in (
        ("GetJob", "get_job"),
        ("JobEvents", "job_events"),
        ("JobPreview", "job_preview"),
        ("JobResult", "job_result"),
        ("CancelJob", "cancel_job"),
    )
}


@router.post(
    "",
    operation_id="create_job",
    status_code=202,
    response_model=JobPublic,
    responses={**ERRORS, 202: {"links": _JOB_LINKS}},
    dependencies=[Depends(require_multipart)],
)
async def create_job(
    request: Request,
    response: Response,
    form: Annotated[JobForm, Depends(job_form)],
    settings: SettingsDep,
    queue: QueueDep,
    client: ClientDep,
) -> JobPublic:
    """Queue a style-transfer job; follow it at the Location URL."""
    record = await submit_job(request, form, settings, queue, client)
    response.headers["Location"] = f"/jobs/{record.id}"
    return await job_public(queue, record)


@router.get("/{job_id}", operation_id="get_job", response_model=JobPublic, responses=ERRORS)
async def get_job(job_id: str, queue: QueueDep, client: ClientDep) -> JobPublic:
    """A job's status, progress, queue position and ETA."""
    return await job_public(queue, await owned(queue, job_id, client))


@router.get(
    "/{job_id}/events",
    operation_id="job_events",
    responses={**ERRORS, 200: {"content": {"text/event-stream": {}}, "description": "job events"}},
)
async def job_events(job_id: str, queue: QueueDep, client: ClientDep) -> EventSourceResponse:
    """Server-Sent Events: the job JSON on every change, ending after the final status."""
    await owned(queue, job_id, client)

    async def stream() -> AsyncIterator[dict]:
        try:
            async for record in queue.events(job_id):
                yield {"event": "job", "data": (await job_public(queue, record)).model_dump_json()}
        except JobNotFound:
            return

    return EventSourceResponse(stream(), ping=10)


@router.get(
    "/{job_id}/preview",
    operation_id="job_preview",
    response_class=Response,
    responses={**ERRORS, 200: {"content": {"image/jpeg": {}}}},
)
async def job_preview(job_id: str, queue: QueueDep, client: ClientDep) -> Response:
    """The latest intermediate image of a running job (JPEG); of a clip, a painted frame."""
    await owned(queue, job_id, client)
    data = await queue.preview(job_id)
    if data is None:
        raise HTTPException(404, "no preview yet")
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


@router.get(
    "/{job_id}/result",
    operation_id="job_result",
    response_class=Response,
    responses={**ERRORS, 200: IMAGE_TYPES},
)
async def job_result(job_id: str, queue: QueueDep, client: ClientDep) -> Response:
    """The finished image or clip, in the format the job asked for."""
    record = await owned(queue, job_id, client)
    if record.status in ("queued", "running"):
        raise HTTPException(409, f"the job is {record.status}; the result is not ready")
    if record.status != "succeeded":
        raise HTTPException(
            409, f"the job {record.status}" + (f": {record.error}" if record.error else "")
        )
    data = await queue.result(job_id)
    if data is None or record.expired:
        raise HTTPException(410, "the result has expired")
    return Response(
        data,
        media_type=RESULT_TYPES[record.format],
        headers={"Content-Disposition": f'inline; filename="{job_id}.{record.format}"'},
    )


@router.delete("/{job_id}", operation_id="cancel_job", response_model=JobPublic, responses=ERRORS)
async def cancel_job(job_id: str, queue: QueueDep, client: ClientDep) -> JobPublic:
    """Cancel a job; a running one stops within one optimiser step (a clip: one frame)."""
    await owned(queue, job_id, client)
    return await job_public(queue, await queue.cancel(job_id))

"""One call in, one image out: POST /stylize."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from api.deps import ClientDep, QueueDep, SettingsDep, get_client
from api.presenters import job_public
from api.routes.jobs import ERRORS, IMAGE_TYPES, RESULT_TYPES
from api.schemas import JobPublic
from api.submit import submit_job
from api.uploads import JobForm, job_form, require_multipart

router = APIRouter(tags=["stylize"], dependencies=[Depends(get_client)])


@router.post(
    "/stylize",
    operation_id="stylize",
    response_class=Response,
    responses={
        **ERRORS,
        200: IMAGE_TYPES,
        202: {"model": JobPublic, "description": "still running: follow Location"},
    },
    dependencies=[Depends(require_multipart)],
)
async def stylize(
    request: Request,
    form: Annotated[JobForm, Depends(job_form)],
    settings: SettingsDep,
    queue: QueueDep,
    client: ClientDep,
) -> Response:
    """Stylize and wait for the image (or a short clip); 202 with the job if it would take
    too long."""
    record = await submit_job(request, form, settings, queue, client)
    eta = await queue.eta_seconds(record.id)
    if eta is None or eta <= settings.sync_timeout_s:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(settings.sync_timeout_s):
                async for _update in queue.events(record.id):
                    pass
        record = await queue.get(record.id)
    if record.status == "succeeded":
        data = await queue.result(record.id)
        if data is not None:
            return Response(data, media_type=RESULT_TYPES[record.format])
    if record.status in ("failed", "cancelled"):
        return JSONResponse(
            {"detail": f"the job {record.status}: {record.error or 'no reason given'}"},
            status_code=422 if record.status == "failed" else 409,
        )
    body = await job_public(queue, record)
    return JSONResponse(
        body.model_dump(mode="json"), status_code=202, headers={"Location": f"/jobs/{record.id}"}
    )

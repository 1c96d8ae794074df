"""Liveness, readiness and metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import ClientDep
from api.schemas import ErrorPublic, HealthPublic

router = APIRouter(tags=["health"])


@router.get("/healthz", operation_id="healthz", response_model=HealthPublic)
async def healthz() -> HealthPublic:
    """The process is alive."""
    return HealthPublic(status="ok")


@router.get(
    "/readyz",
    operation_id="readyz",
    response_model=HealthPublic,
    responses={503: {"model": ErrorPublic}},
)
async def readyz(request: Request) -> HealthPublic | JSONResponse:
    """The model is loaded and warmed: jobs will start at once."""
    state = request.app.state
    if not getattr(state, "ready", False):
        return _not_ready("the model is still loading")
    if not await state.queue.available():
        return _not_ready("the job queue is unavailable")
    return HealthPublic(status="ready", device=state.device, warm_up_seconds=state.warm_up_seconds)


def _not_ready(detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=503, headers={"Retry-After": "5"})


@router.get(
    "/metrics",
    operation_id="metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}},
)
async def metrics(request: Request, _client: ClientDep) -> Response:
    """Prometheus metrics: queue depth, jobs by status, job durations, engine steps/s."""
    state = request.app.state
    state.metrics.queue_depth.set(await state.queue.depth())
    data = generate_latest(state.metrics.registry)
    return Response(data, media_type=CONTENT_TYPE_LATEST)

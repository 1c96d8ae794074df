"""Domain errors mapped to HTTP answers in one place; every error body is JSON."""

from __future__ import annotations

import logging
import secrets

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.jobs import JobNotFound, QueueFull, QueueUnavailable
from core.images import ImageError, ImageTooLarge, UnsupportedFormat

log = logging.getLogger("api.errors")


def _json(status: int, detail: str, headers: dict[str, str] | None = None, **extra) -> JSONResponse:
    return JSONResponse({"detail": detail, **extra}, status_code=status, headers=headers)


def _field_name(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "request"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field_name(tuple(e.get("loc", ()))), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return _json(422, f"invalid request: {summary}", errors=errors)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        return _json(exc.status_code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(ImageTooLarge)
    async def too_large(_: Request, exc: ImageTooLarge) -> JSONResponse:
        return _json(413, str(exc))

    @app.exception_handler(UnsupportedFormat)
    async def unsupported(_: Request, exc: UnsupportedFormat) -> JSONResponse:
        return _json(415, str(exc))

    @app.exception_handler(ImageError)
    async def bad_image(_: Request, exc: ImageError) -> JSONResponse:
        return _json(422, str(exc))

    @app.exception_handler(JobNotFound)
    async def not_found(_: Request, __: JobNotFound) -> JSONResponse:
        return _json(404, "no such job (it may have expired)")

    @app.exception_handler(QueueFull)
    async def queue_full(_: Request, exc: QueueFull) -> JSONResponse:
        return _json(503, str(exc), headers={"Retry-After": str(exc.retry_after)})

    @app.exception_handler(QueueUnavailable)
    async def queue_unavailable(_: Request, exc: QueueUnavailable) -> JSONResponse:
        return _json(503, str(exc), headers={"Retry-After": str(exc.retry_after)})

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        error_id = secrets.token_hex(6)
        log.error("unhandled error", exc_info=exc, extra={"error_id": error_id})
        return _json(500, "internal server error", error_id=error_id)

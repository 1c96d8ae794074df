"""ASGI middleware: a request id on every request and log line; limits on the request body."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import time

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.logs import request_id_var

log = logging.getLogger("api.http")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestContext:
    """Adds X-Request-ID (the caller's if sane, else a new one) and logs each request once."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_ID.match(incoming) else secrets.token_hex(8)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            # Path only: query strings and bodies never reach the logs.
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            request_id_var.reset(token)


class BodyLimits:
    """Guards the request body while it is read, before any of it is parsed.

    413 as soon as it grows past `max_bytes`; 408 when the client sends nothing for
    `idle_timeout_s` in the middle of it (a stalled or deliberately slow upload would
    otherwise hold its connection and buffers for ever). Once the body is complete the
    timeout no longer applies: an event stream waits on `receive` for the disconnect.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, idle_timeout_s: float = 0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.idle_timeout_s = idle_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            await _reject(send, 413, _too_large(self.max_bytes))
            return
        received = 0
        body_done = False
        refused = False

        def refuse(status: int, detail: str) -> HTTPException:
            nonlocal refused
            refused = True
            # FastAPI re-raises an HTTPException met while reading the body (any other error
            # becomes "400 error parsing the body"); the connection is closed after it.
            return HTTPException(status, detail, headers={"Connection": "close"})

        async def guarded_receive() -> Message:
            nonlocal received, body_done
            if body_done or self.idle_timeout_s <= 0:
                message = await receive()
            else:
                try:
                    message = await asyncio.wait_for(receive(), self.idle_timeout_s)
                except TimeoutError:
                    detail = f"no request data for {self.idle_timeout_s:g} s; upload again"
                    raise refuse(408, detail) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                body_done = not message.get("more_body", False)
                if received > self.max_bytes:
                    raise refuse(413, _too_large(self.max_bytes))
            return message

        try:
            await self.app(scope, guarded_receive, send)
        except HTTPException as exc:
            if not refused:
                raise
            # Raised outside a route (no exception handler on the way): answer here.
            await _reject(send, exc.status_code, str(exc.detail))


def _too_large(limit: int) -> str:
    return f"request body larger than {limit:,} bytes"


async def _reject(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"connection", b"close"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

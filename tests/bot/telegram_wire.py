"""The Bot API's wire format for the fake server: recorded calls, parameters, errors."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

JSON_FIELDS = ("reply_markup", "media", "commands", "allowed_updates", "entities")


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)
    flooded: bool = False  # answered 429: not delivered
    failed: int = 0  # answered with this server error (5xx): not delivered

    @property
    def delivered(self) -> bool:
        return not self.flooded and not self.failed

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    def buttons(self) -> list[str]:
        """The callback data of every inline button this call attached."""
        markup = self.params.get("reply_markup") or {}
        rows = markup.get("inline_keyboard", [])
        return [b.get("callback_data", "") for row in rows for b in row]


def error(code: int, description: str, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=code)


async def read_call(request: web.Request) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Parameters and uploaded files, whichever encoding aiogram chose."""
    params: dict[str, Any] = dict(request.query)
    files: dict[str, bytes] = {}
    if request.content_type == "multipart/form-data":
        async for part in await request.multipart():
            if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                continue
            if part.filename:
                files[part.name] = await part.read()
            else:
                params[part.name] = await part.text()
    elif request.content_type == "application/json":
        params.update(await request.json())
    elif request.can_read_body:
        params.update(dict(await request.post()))
    for key in JSON_FIELDS:
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    for key, value in list(params.items()):
        # A file goes as its own part, referenced by "attach://<part name>".
        if isinstance(value, str) and value.startswith("attach://") and value[9:] in files:
            files[key] = files[value[9:]]
    for i, item in enumerate(params.get("media") or []):
        ref = str(item.get("media", ""))
        if ref.startswith("attach://") and ref[9:] in files:
            files[f"media{i}"] = files[ref[9:]]
    return params, files

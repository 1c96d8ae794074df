"""A fake Telegram Bot API server on loopback: records every call, serves files, injects updates."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Stylize", "username": "stylize_bot"}


@dataclass
class Call:
    method: str
    params: dict
    files: dict[str, bytes] = field(default_factory=dict)
    flooded: bool = False  # answered 429: not delivered


class FakeTelegram:
    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.files: dict[str, bytes] = {}
        self.flood: dict[str, int] = {}  # method -> how many 429s to answer first
        self._updates: asyncio.Queue[dict] = asyncio.Queue()
        self._ids = itertools.count(1)
        self._changed = asyncio.Event()
        self.runner: web.AppRunner | None = None
        self.base = ""

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.*}", self._file)
        self.runner = web.AppRunner(app, access_log=None)  # URLs hold the token
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}"
        return self.base

    async def stop(self) -> None:
        if self.runner:
            await self.runner.cleanup()

    # -- what tests do ---------------------------------------------------------------------

    def add_file(self, data: bytes) -> str:
        file_id = f"file{next(self._ids)}"
        self.files[file_id] = data
        return file_id

    def _user(self, user_id: int, lang: str) -> dict:
        return {"id": user_id, "is_bot": False, "first_name": "Ann", "language_code": lang}

    def send(self, user_id: int = 1, lang: str = "en", **content) -> int:
        message_id = next(self._ids)
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private"},
            "from": self._user(user_id, lang),
            **content,
        }
        self._updates.put_nowait({"update_id": next(self._ids), "message": message})
        return message_id

    def text(self, text: str, **kw) -> int:
        entities = (
            [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
            if text.startswith("/")
            else []
        )
        return self.send(text=text, entities=entities, **kw)

    def photo(
        self, data: bytes, media_group_id: str | None = None, size: int | None = None, **kw
    ) -> int:
        file_id = self.add_file(data)
        photo = [
            {
                "file_id": file_id,
                "file_unique_id": file_id,
                "width": 64,
                "height": 64,
                "file_size": size or len(data),
            }
        ]
        extra = {"media_group_id": media_group_id} if media_group_id else {}
        return self.send(photo=photo, **extra, **kw)

    def document(self, data: bytes, name: str, mime: str, size: int | None = None, **kw) -> int:
        file_id = self.add_file(data)
        doc = {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_name": name,
            "mime_type": mime,
            "file_size": size or len(data),
        }
        return self.send(document=doc, **kw)

    def press(self, data: str, user_id: int = 1, lang: str = "en", message_id: int = 1) -> None:
        query = {
            "id": str(next(self._ids)),
            "from": self._user(user_id, lang),
            "chat_instance": "x",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private"},
                "text": "...",
            },
        }
        self._updates.put_nowait({"update_id": next(self._ids), "callback_query": query})

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def texts(self) -> list[str]:
        return [
            c.params.get("text", "")
            for c in self.calls
            if c.method in ("sendMessage", "editMessageText")
        ]

    def mark(self) -> int:
        """A position in the call log: pass it as `after` to wait only for later calls."""
        return len(self.calls)

    async def wait_for(
        self, predicate: Callable[[Call], bool], timeout: float = 15.0, after: int = 0
    ) -> Call:
        """The first recorded call from position `after` on that satisfies `predicate`."""
        deadline = time.monotonic() + timeout
        seen = after
        while True:
            for call in self.calls[seen:]:
                if predicate(call):
                    return call
            seen = len(self.calls)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no such call; calls were: {[c.method for c in self.calls]}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), timeout=remaining)
            except TimeoutError:
                pass

    async def wait_text(self, fragment: str, timeout: float = 15.0, after: int = 0) -> Call:
        def has(c: Call) -> bool:
            return not c.flooded and fragment in (
                c.params.get("text") or c.params.get("caption") or ""
            )

        return await self.wait_for(has, timeout, after)

    # -- the HTTP side ---------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params, files = await _read(request)
        call = Call(method, params, files)
        if method != "getUpdates":
            self.calls.append(call)
            self._changed.set()
        if self.flood.get(method):
            self.flood[method] -= 1
            call.flooded = True
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": "Too Many Requests",
                    "parameters": {"retry_after": 1},
                },
                status=429,
            )
        if method == "getUpdates":
            return web.json_response(
                {"ok": True, "result": await self._poll(float(params.get("timeout", 0)))}
            )
        return web.json_response({"ok": True, "result": self._result(method, params, files)})

    async def _poll(self, timeout: float) -> list[dict]:
        try:
            first = await asyncio.wait_for(self._updates.get(), timeout=min(timeout, 0.5) or 0.01)
        except TimeoutError:
            return []
        updates = [first]
        while not self._updates.empty():
            updates.append(self._updates.get_nowait())
        return updates

    def _result(self, method: str, params: dict, files: dict[str, bytes]):
        chat_id = int(params.get("chat_id", 1) or 1)
        message = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": BOT_USER,
        }
        if method == "getMe":
            return BOT_USER
        if method == "getFile":
            file_id = params["file_id"]
            return {
                "file_id": file_id,
                "file_unique_id": file_id,
                "file_path": f"photos/{file_id}.bin",
                "file_size": len(self.files.get(file_id, b"")),
            }
        if method in ("sendMessage", "editMessageText"):
            if method == "editMessageText":
                message["message_id"] = int(params.get("message_id", 0))
            return {**message, "text": params.get("text", "")}
        if method == "sendPhoto":
            fid = self.add_file(files.get("photo", b""))
            return {
                **message,
                "photo": [{"file_id": fid, "file_unique_id": fid, "width": 1, "height": 1}],
            }
        if method == "sendDocument":
            fid = self.add_file(files.get("document", b""))
            return {**message, "document": {"file_id": fid, "file_unique_id": fid}}
        if method == "sendMediaGroup":
            return [message]
        return True

    async def _file(self, request: web.Request) -> web.Response:
        file_id = request.match_info["path"].split("/")[-1].removesuffix(".bin")
        if file_id not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[file_id])


async def _read(request: web.Request) -> tuple[dict, dict[str, bytes]]:
    params: dict = dict(request.query)
    files: dict[str, bytes] = {}
    if request.content_type == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if part.filename:
                files[part.name] = await part.read()
            else:
                params[part.name] = (await part.read()).decode()
    elif request.content_type == "application/json":
        params.update(await request.json())
    elif request.can_read_body:
        params.update(dict(await request.post()))
    for key, value in list(params.items()):
        # aiogram uploads files as separate parts referenced by "attach://<part name>".
        if isinstance(value, str) and value.startswith("attach://") and value[9:] in files:
            files[key] = files[value[9:]]
    for key in ("reply_markup",):
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    return params, files

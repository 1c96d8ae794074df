"""A fake Telegram Bot API on loopback: injects updates, records every call, serves files.

Updates go out by long polling (getUpdates with offsets and a timeout), or, once the bot
has called setWebhook, are POSTed to its webhook with the secret-token header, as Telegram
does. Any method can be made to answer 429 with a retry_after.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from tests.bot.telegram_user import UserActions
from tests.bot.telegram_wire import Call, error, read_call

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Stylize", "username": "stylize_bot"}
GETFILE_LIMIT = 20 * 1024 * 1024  # the Bot API serves files up to 20 MB


class FakeTelegram(UserActions):
    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.files: dict[str, tuple[bytes, int]] = {}  # file id -> (bytes, declared size)
        self.flood: dict[str, tuple[int, int]] = {}  # method -> (times, retry_after)
        self.outage: dict[str, tuple[int, int]] = {}  # method -> (times, HTTP status)
        self.webhook: tuple[str, str | None] | None = None  # (url, secret) once set
        self.webhook_statuses: list[int] = []
        self._pending: list[dict] = []
        self._shown: dict[tuple[str, str], tuple[Any, Any]] = {}  # (chat, message) -> content
        self._arrived = asyncio.Event()
        self._changed = asyncio.Event()
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self.base = ""

    async def start(self) -> str:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.*}", self._file)
        # Handlers die with their connection; shutdown does not wait for long polls.
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5
        )  # access_log off: its URLs hold the token
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}"
        return self.base

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner:
            await self._runner.cleanup()

    def flood_next(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next `times` calls of `method` with 429 and this retry_after."""
        self.flood[method] = (times, retry_after)

    def fail_next(self, method: str, times: int = 1, status: int = 502) -> None:
        """Answer the next `times` calls of `method` (getUpdates too) with a server error."""
        self.outage[method] = (times, status)

    # -- what tests look at ----------------------------------------------------------------

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.delivered]

    def texts(self) -> list[str]:
        return [c.text for c in self.calls if c.text and c.delivered]

    def mark(self) -> int:
        """A position in the call log: pass it as `after` to wait only for later calls."""
        return len(self.calls)

    async def wait_for(
        self,
        method: str | None = None,
        predicate: Callable[[Call], bool] | None = None,
        *,
        timeout: float = 10.0,
        after: int = 0,
    ) -> Call:
        """The first delivered call from position `after` on with this method and predicate."""

        def matches(call: Call) -> bool:
            wanted = method is None or call.method == method
            return wanted and call.delivered and (predicate is None or predicate(call))

        deadline = time.monotonic() + timeout
        seen = after
        while True:
            for call in self.calls[seen:]:
                if matches(call):
                    return call
            seen = len(self.calls)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {method or 'matching'} call; got {self.texts()}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                pass

    async def wait_text(self, fragment: str, *, timeout: float = 10.0, after: int = 0) -> Call:
        """The first delivered message, edit or caption containing `fragment`."""
        return await self.wait_for(None, lambda c: fragment in c.text, timeout=timeout, after=after)

    # -- the HTTP side ---------------------------------------------------------------------

    def _deliver(self, update: dict) -> None:
        if self.webhook is not None:
            task = asyncio.create_task(self._post_webhook(update))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        self._pending.append(update)
        self._arrived.set()

    async def _post_webhook(self, update: dict) -> None:
        assert self.webhook is not None
        url, secret = self.webhook
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        async with aiohttp.ClientSession() as http:
            for _ in range(100):  # Telegram, too, retries a webhook that is not up yet
                try:
                    async with http.post(url, json=update, headers=headers) as response:
                        self.webhook_statuses.append(response.status)
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
        self._changed.set()

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return error(401, "Unauthorized")
        method = request.match_info["method"]
        params, files = await read_call(request)
        failing, status = self.outage.get(method, (0, 0))
        if failing:
            self.outage[method] = (failing - 1, status)
            self.calls.append(Call(method, params, files, failed=status))
            return error(status, "Bad Gateway" if status == 502 else "Internal Server Error")
        if method == "getUpdates":
            return web.json_response({"ok": True, "result": await self._updates(params)})
        call = Call(method, params, files)
        self.calls.append(call)
        self._changed.set()
        times, retry_after = self.flood.get(method, (0, 0))
        if times:
            self.flood[method] = (times - 1, retry_after)
            call.flooded = True
            return error(429, "Too Many Requests: retry later", retry_after=retry_after)
        if method == "getFile" and params["file_id"] in self.files:
            if self.files[params["file_id"]][1] > GETFILE_LIMIT:
                return error(400, "Bad Request: file is too big")
        if method == "editMessageText" and self._unchanged(params):
            return error(400, "Bad Request: message is not modified")
        if method == "setWebhook":
            self.webhook = (params["url"], params.get("secret_token"))
        return web.json_response({"ok": True, "result": self._result(method, params, files)})

    def _unchanged(self, params: dict) -> bool:
        # Telegram refuses an edit that leaves text and buttons as they are.
        key = (str(params.get("chat_id")), str(params.get("message_id")))
        now = (params.get("text"), params.get("reply_markup"))
        before, self._shown[key] = self._shown.get(key), now
        return before == now

    async def _updates(self, params: dict) -> list[dict]:
        # Long polling: confirmed updates (below `offset`) are dropped; wait up to `timeout`.
        offset = int(params.get("offset") or 0)
        self._pending = [u for u in self._pending if u["update_id"] >= offset]
        if not self._pending:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), float(params.get("timeout") or 0))
            except TimeoutError:
                return []
        return self._pending[:100]

    def _result(self, method: str, params: dict, files: dict[str, bytes]) -> Any:
        chat_id = int(params.get("chat_id") or 1)
        message: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": BOT_USER,
        }
        if method == "getMe":
            return BOT_USER
        if method == "getFile":
            fid = params["file_id"]
            size = self.files.get(fid, (b"", 0))[1]
            return {
                "file_id": fid,
                "file_unique_id": fid,
                "file_path": f"p/{fid}",
                "file_size": size,
            }
        if method == "sendMessage":
            key = (str(chat_id), str(message["message_id"]))
            self._shown[key] = (params.get("text"), params.get("reply_markup"))
            return message | {"text": params.get("text", "")}
        if method == "editMessageText":
            return message | {"message_id": int(params["message_id"]), "text": params["text"]}
        if method == "sendPhoto":
            return message | {"photo": [self._photo(files.get("photo"), params.get("photo"))]}
        if method == "sendDocument":
            fid = self.add_file(files.get("document", b""))
            return message | {"document": {"file_id": fid, "file_unique_id": fid}}
        if method in ("sendVideo", "sendAnimation", "sendVideoNote"):
            field = {"sendVideo": "video", "sendAnimation": "animation"}.get(method, "video_note")
            fid = self.add_file(files.get(field, b""))
            media: dict[str, Any] = {"file_id": fid, "file_unique_id": fid, "duration": 1}
            media |= {"length": 64} if field == "video_note" else {"width": 64, "height": 48}
            return message | {field: media}
        if method == "sendMediaGroup":
            return [
                message | {"message_id": next(self._ids), "photo": [self._photo(files.get(k), m)]}
                for k, m in ((f"media{i}", item["media"]) for i, item in enumerate(params["media"]))
            ]
        return True

    def _photo(self, upload: bytes | None, reference: Any) -> dict:
        # A new upload gets a new file id; a resent file id stays what it was.
        fid = self.add_file(upload) if upload is not None else str(reference)
        return {"file_id": fid, "file_unique_id": fid, "width": 1, "height": 1}

    async def _file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        if file_id not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[file_id][0])

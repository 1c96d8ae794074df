"""What users do in the fake Telegram: messages, photos, files and button taps, as updates."""

from __future__ import annotations

import itertools
import time
from typing import Any


class UserActions:
    """Builds updates and hands them to `_deliver`; FakeTelegram supplies the rest."""

    files: dict[str, tuple[bytes, int]]
    _ids: itertools.count[int]

    def _deliver(self, update: dict) -> None:
        raise NotImplementedError

    def add_file(self, data: bytes, size: int | None = None) -> str:
        file_id = f"file{next(self._ids)}"
        self.files[file_id] = (data, len(data) if size is None else size)
        return file_id

    def send(self, user_id: int = 1, lang: str = "en", **content: Any) -> int:
        """A message from a user; returns its message id."""
        message_id = next(self._ids)
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private"},
            "from": user_json(user_id, lang),
            **content,
        }
        self._deliver({"update_id": next(self._ids), "message": message})
        return message_id

    def text(self, text: str, **kw: Any) -> int:
        command = text.split()[0] if text.startswith("/") else ""
        entities = [{"type": "bot_command", "offset": 0, "length": len(command)}] if command else []
        return self.send(text=text, entities=entities, **kw)

    def photo(
        self, data: bytes, *, media_group_id: str | None = None, size: int | None = None, **kw: Any
    ) -> int:
        fid = self.add_file(data, size)
        photo = [{"file_id": fid, "file_unique_id": fid, "width": 64, "height": 64}]
        photo[0]["file_size"] = self.files[fid][1]
        extra = {"media_group_id": media_group_id} if media_group_id else {}
        return self.send(photo=photo, **extra, **kw)

    def document(
        self,
        data: bytes,
        name: str,
        mime: str | None,
        *,
        size: int | None = None,
        declared: bool = True,
        **kw: Any,
    ) -> int:
        """A file; `declared=False` leaves its size out of the message (getFile still knows)."""
        fid = self.add_file(data, size)
        doc = {"file_id": fid, "file_unique_id": fid, "file_name": name}
        doc |= {"file_size": self.files[fid][1]} if declared else {}
        doc |= {"mime_type": mime} if mime else {}
        return self.send(document=doc, **kw)

    def clip(self, data: str | bytes, kind: str = "video", **kw: Any) -> int:
        """A clip as Telegram delivers it: a video, a GIF animation (an MP4 with a document
        beside it), or a round video note."""
        fid = self.add_file(data if isinstance(data, bytes) else data.encode())
        media: dict[str, Any] = {"file_id": fid, "file_unique_id": fid, "duration": 1}
        media["file_size"] = self.files[fid][1]
        if kind == "video_note":
            return self.send(video_note=media | {"length": 64}, **kw)
        media |= {"width": 64, "height": 48}
        if kind == "animation":
            doc = {"file_id": fid, "file_unique_id": fid, "mime_type": "video/mp4"}
            return self.send(animation=media | {"mime_type": "video/mp4"}, document=doc, **kw)
        return self.send(video=media | {"mime_type": "video/mp4"}, **kw)

    def press(self, data: str, user_id: int = 1, lang: str = "en", message_id: int = 1) -> None:
        """A tap on an inline button carrying `data`."""
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private"},
            "text": "…",
        }
        query = {
            "id": str(next(self._ids)),
            "from": user_json(user_id, lang),
            "chat_instance": "x",
            "data": data,
            "message": message,
        }
        self._deliver({"update_id": next(self._ids), "callback_query": query})


def user_json(user_id: int, lang: str) -> dict:
    return {"id": user_id, "is_bot": False, "first_name": "Ann", "language_code": lang}

"""Users' images, as Telegram file ids, kept in this process's memory only and for a while.

Nothing here reaches the FSM storage (which may be Redis): conversation state and buttons
carry only a short random token, and a token outlives its images by at most `ttl_s`.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Kept(Generic[T]):
    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._items: dict[str, tuple[T, float]] = {}

    def put(self, value: T) -> str:
        """Keep `value` for `ttl_s` seconds; the token fits in callback data (64 bytes)."""
        self._sweep()
        token = secrets.token_urlsafe(8)
        self._items[token] = (value, self._clock() + self.ttl_s)
        return token

    def get(self, token: str | None) -> T | None:
        """The value, or None once it has expired (or never was)."""
        entry = self._items.get(token or "")
        if entry is None or entry[1] <= self._clock():
            return None
        return entry[0]

    def __len__(self) -> int:
        self._sweep()
        return len(self._items)

    def _sweep(self) -> None:
        now = self._clock()
        for token in [k for k, (_, expiry) in self._items.items() if expiry <= now]:
            del self._items[token]

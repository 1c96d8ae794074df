"""Who is calling: API keys (constant-time comparison) and per-client rate limits."""

from __future__ import annotations

import hashlib
import hmac
import math
import threading
import time
from collections import deque

from fastapi import HTTPException, Request


def client_id(key: str) -> str:
    """A stable, non-secret name for a key: owners of jobs are recorded by it, never by the key."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def authenticate(request: Request, keys: list[str]) -> str:
    """The caller's client id; 401 when keys are configured and none matches."""
    if not keys:
        return ""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(
            401,
            "missing API key: send Authorization: Bearer <key>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    matched = ""
    for key in keys:
        # compare_digest on every key: the time taken does not reveal which prefix matched.
        if hmac.compare_digest(token.encode(), key.encode()):
            matched = key
    if not matched:
        raise HTTPException(401, "invalid API key", headers={"WWW-Authenticate": "Bearer"})
    return client_id(matched)


class RateLimiter:
    """At most `per_minute` events per client in any sliding 60-second window."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        if self.per_minute <= 0:
            return
        now = time.monotonic()
        with self._lock:
            events = self._events.setdefault(client, deque())
            while events and now - events[0] > 60:
                events.popleft()
            if len(events) >= self.per_minute:
                retry = math.ceil(60 - (now - events[0]))
                raise HTTPException(
                    429,
                    f"rate limit of {self.per_minute} jobs per minute reached",
                    headers={"Retry-After": str(max(1, retry))},
                )
            events.append(now)
            if len(self._events) > 10_000:  # forget idle clients: memory stays bounded
                for key in [k for k, v in self._events.items() if not v][:5000]:
                    del self._events[key]

"""One job at a time per user, and at most N per hour."""

from __future__ import annotations

import math
import time
from collections import deque


class UserLimits:
    def __init__(self, per_hour: int) -> None:
        self.per_hour = per_hour
        self._started: dict[int, deque[float]] = {}
        self._active: set[int] = set()

    def busy(self, user_id: int) -> bool:
        return user_id in self._active

    def minutes_until_allowed(self, user_id: int, now: float | None = None) -> int:
        """0 if the user may start a job now, else whole minutes to wait."""
        now = now or time.monotonic()
        started = self._started.setdefault(user_id, deque())
        while started and now - started[0] > 3600:
            started.popleft()
        if len(started) < self.per_hour:
            return 0
        return max(1, math.ceil((3600 - (now - started[0])) / 60))

    def begin(self, user_id: int) -> None:
        self._active.add(user_id)
        self._started.setdefault(user_id, deque()).append(time.monotonic())

    def end(self, user_id: int) -> None:
        self._active.discard(user_id)

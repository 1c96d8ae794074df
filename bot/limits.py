"""One job at a time per user, and at most N started per hour (a sliding window)."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

HOUR_S = 3600.0


class UserLimits:
    def __init__(self, per_hour: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_hour = per_hour
        self._clock = clock
        self._started: dict[int, deque[float]] = {}
        self._active: set[int] = set()

    def busy(self, user_id: int) -> bool:
        return user_id in self._active

    def minutes_until_allowed(self, user_id: int) -> int:
        """0 if the user may start a job now, else whole minutes (at least 1) to wait."""
        now = self._clock()
        started = self._started.get(user_id, deque())
        while started and now - started[0] >= HOUR_S:
            started.popleft()
        if len(started) < self.per_hour:
            return 0
        return max(1, math.ceil((HOUR_S - (now - started[0])) / 60))

    def begin(self, user_id: int) -> None:
        """Count a job and mark the user busy; callers check both conditions first."""
        self._active.add(user_id)
        self._started.setdefault(user_id, deque()).append(self._clock())

    def end(self, user_id: int, *, refund: bool = False) -> None:
        """The user is free again; `refund` un-counts a job the service never accepted."""
        self._active.discard(user_id)
        started = self._started.get(user_id)
        if refund and started:
            started.pop()

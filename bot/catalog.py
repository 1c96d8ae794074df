"""The service's preset paintings, cached for a few minutes, and their thumbnails' file ids."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.api_client import Method, ServiceError, Style, StylizeClient

# Feed-forward methods in the order we prefer them for an instant preview.
FAST_METHODS = ("feedforward", "transformer", "adain", "gan")
# For a painting of the user's own: the one-pass methods that take any painting, preferred
# in this order (docs/comparison.md); the service's GET /methods says which it runs.
ANY_PAINTING_PREFERENCE = ("adain", "transformer")


class Catalog:
    def __init__(
        self,
        client: StylizeClient,
        ttl_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.ttl_s = ttl_s
        self._clock = clock
        self._styles: list[Style] = []
        self._fetched_at = -float("inf")
        self._methods: list[Method] = []
        self._methods_at = -float("inf")
        # Telegram keeps an uploaded photo: later galleries resend it by file id.
        self.thumbnail_ids: dict[str, str] = {}

    async def styles(self) -> list[Style]:
        """The presets; a stale list serves while the service is unreachable."""
        if self._clock() - self._fetched_at >= self.ttl_s:
            try:
                self._styles = await self.client.styles()
                self._fetched_at = self._clock()
            except ServiceError:
                if not self._styles:
                    raise
        return self._styles

    async def any_painting_method(self) -> str | None:
        """An instant method that paints any painting, for a user's own; None if none."""
        if self._clock() - self._methods_at >= self.ttl_s:
            try:
                self._methods = await self.client.methods()
                self._methods_at = self._clock()
            except ServiceError:
                if not self._methods:
                    return None  # no instant picture then; Gatys paints it
        instant = {m.id for m in self._methods if m.one_pass and m.any_painting}
        return next((m for m in ANY_PAINTING_PREFERENCE if m in instant), None)

    async def find(self, preset: str) -> Style | None:
        return next((s for s in await self.styles() if s.id == preset), None)

    async def fast_method(self, preset: str) -> str | None:
        """A feed-forward method the preset supports, for an instant preview; else None."""
        try:
            style = await self.find(preset)
        except ServiceError:
            return None  # no preview then; the full job reports the outage itself
        if style is None:
            return None
        return next((m for m in FAST_METHODS if m in style.methods), None)

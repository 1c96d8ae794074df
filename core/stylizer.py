"""The one interface every stylization method satisfies, and what it reports."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from PIL import Image

from core.params import StyleParams


class Cancelled(Exception):  # noqa: N818 - reads better at the raise site than CancelledError
    """Raised by a progress callback to stop a running job."""


@dataclass(frozen=True)
class Progress:
    """A snapshot of a running job, handed to the progress callback after every step."""

    step: int  # 1-based, counted over all scales
    total_steps: int
    scale: int  # index into the schedule, 0 = coarsest
    size: tuple[int, int]  # (width, height) being optimised now
    losses: dict[str, float] = field(default_factory=dict)
    preview: Image.Image | None = None  # only every `preview_every` steps

    @property
    def fraction(self) -> float:
        return self.step / self.total_steps if self.total_steps else 1.0


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class BatchItem:
    """One job of a batch: its photo, its paintings and where its progress goes."""

    content: Image.Image
    styles: tuple[Image.Image, ...]
    progress: ProgressCallback | None = None


@dataclass(frozen=True)
class StyleResult:
    """The output image and what it took to make it."""

    image: Image.Image  # RGB
    steps: int
    seconds: float
    losses: dict[str, float] = field(default_factory=dict)


@runtime_checkable
class Stylizer(Protocol):
    """Turns a content photo and style images into a stylized image."""

    def stylize(
        self,
        content: Image.Image,
        styles: Sequence[Image.Image],
        params: StyleParams,
        progress: ProgressCallback | None = None,
    ) -> StyleResult: ...

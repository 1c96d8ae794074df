"""A clip stylized: decoded, painted and encoded a few frames at a time, steadied by flow.

Any one-pass method paints the frames (feedforward, gan, adain, transformer; Gatys needs a
minute a picture). The arbitrary-style models read the painting once per clip
(ArbitraryStylizer.style_codes) and paint each batch of frames in one pass; the per-style
networks paint frame by frame through their own stylize(). core.clips.temporal steadies the
result; core.clips.video reads and writes the container. Progress is reported per frame; a
callback that raises core.stylizer.Cancelled stops the job, and the unfinished file goes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import torch
from PIL import Image

from core import colour
from core.clips.temporal import Stabiliser
from core.clips.video import ClipFrame, ClipKind, ClipLimits, ClipWriter, open_clip
from core.engine import Engine
from core.gatys import image_to_tensor, resize_tensor, tensor_to_image
from core.models.arbitrary import StyleCode
from core.models.stylizers import ArbitraryStylizer
from core.params import ClipParams, StyleParams
from core.stylizer import Stylizer


@dataclass(frozen=True)
class ClipProgress:
    """After each frame: how far the clip is, and the frame just painted."""

    frame: int  # 1-based
    total_frames: int  # from the header: an estimate, 0 where unknown
    seconds: float  # since the clip began
    preview: Image.Image

    @property
    def fraction(self) -> float:
        return min(1.0, self.frame / self.total_frames) if self.total_frames else 0.0


ClipProgressCallback = Callable[[ClipProgress], None]


@dataclass(frozen=True)
class ClipResult:
    frames: int
    seconds: float
    size: tuple[int, int]  # (width, height) of the painted frames


class FramePainter:
    """Paints batches of frames with the job's one-pass network: (B, 3, H, W) 0..1 out, on
    the CPU, beside the frames at the same size (what the stabiliser compares)."""

    def __init__(self, engine: Engine, styles: Sequence[Image.Image], params: StyleParams):
        self.stylizer: Stylizer = engine.one_pass(params)
        self.styles, self.params = list(styles), params
        self._codes: list[StyleCode] | None = None
        if isinstance(self.stylizer, ArbitraryStylizer) and not styles:
            raise ValueError(f"{params.method} needs a painting: a style image or a preset")

    def _photos(self, images: Sequence[Image.Image], device: torch.device | str) -> torch.Tensor:
        size = self.params.output_size
        return torch.cat([resize_tensor(image_to_tensor(i, device), size) for i in images]).clamp(
            0, 1
        )

    def __call__(self, images: Sequence[Image.Image]) -> tuple[torch.Tensor, torch.Tensor]:
        """Frames -> (their photos at the output size, the painted frames)."""
        stylizer = self.stylizer
        if isinstance(stylizer, ArbitraryStylizer):
            photos = self._photos(images, stylizer.device)
            if self._codes is None:  # the painting is read once, with the clip's first frame
                self._codes = stylizer.style_codes(self.styles, self.params, photos[:1])
            out = stylizer.paint(photos, self._codes, self.params).clamp(0, 1)
            if self.params.preserve_color == "luminance":  # as ArbitraryStylizer.stylize does
                out = colour.with_chroma_of(out, photos)
            return photos.cpu(), out.cpu()
        # The per-style networks: frame by frame, exactly what a picture gets.
        out = torch.cat(
            [image_to_tensor(stylizer.stylize(i, self.styles, self.params).image) for i in images]
        )
        return self._photos(images, "cpu"), out


def stylize_frames(
    frames: Iterable[ClipFrame],
    painter: Callable[[Sequence[Image.Image]], tuple[torch.Tensor, torch.Tensor]],
    clip: ClipParams | None = None,
    progress: ClipProgressCallback | None = None,
    total_frames: int = 0,
) -> Iterator[tuple[ClipFrame, Image.Image]]:
    """Each frame with its painted, steadied counterpart, `clip.batch` frames at a time."""
    clip = clip or ClipParams()
    stabilise = Stabiliser(clip.temporal)
    started, done = time.perf_counter(), 0
    for batch in _batches(frames, clip.batch):
        photos, painted = painter([f.image for f in batch])
        for frame, photo, out in zip(batch, photos, painted, strict=True):
            image = tensor_to_image(stabilise(photo, out)[None])
            done += 1
            if progress is not None:
                progress(ClipProgress(done, total_frames, time.perf_counter() - started, image))
            yield frame, image


def _batches(items: Iterable[ClipFrame], size: int) -> Iterator[list[ClipFrame]]:
    """Lists of `size` items (the last may be shorter); itertools.batched is Python 3.12+."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def stylize_clip(
    engine: Engine,
    source: str | Path,
    target: str | Path,
    styles: Sequence[Image.Image],
    params: StyleParams,
    clip: ClipParams | None = None,
    *,
    kind: ClipKind | None = None,
    limits: ClipLimits | None = None,
    progress: ClipProgressCallback | None = None,
    name: str | None = None,
) -> ClipResult:
    """Stylize the clip at `source` into `target` (MP4 or GIF: `kind`, else the source's
    kind), with the source's frame rate, frame durations and sound. ClipError for a bad clip
    (messages call it `name`, default its file name), ValueError for a method that cannot
    paint clips; nothing is left at `target` unless the whole clip was written."""
    started = time.perf_counter()
    painter = FramePainter(engine, styles, params)  # refuses gatys before any decoding
    with open_clip(source, limits, name) as reader:
        info = reader.info
        total = info.frames or round(info.seconds * info.fps)
        audio = source if info.has_audio else None
        count, size = 0, (0, 0)
        with ClipWriter(target, kind or info.kind, info.fps, audio_from=audio) as writer:
            for frame, image in stylize_frames(reader.frames(), painter, clip, progress, total):
                writer.write(image, frame.duration)
                count, size = count + 1, image.size
    return ClipResult(count, time.perf_counter() - started, size)

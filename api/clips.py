"""Clips as a job's content: the upload kept on disk, checked, then painted by a worker.

A video or GIF animation is told from a photo by its first bytes (core.clips.video). It is copied
out of the request into a scratch folder, its header checked against the service's limits
and its first frame decoded before the job is queued, so a bad clip is refused at once: 413
above a limit, 422 for a file that is no clip or a damaged one, in words. The worker streams
it through core.clips.stylize, frame by frame, and reads the painted clip back as the job's result;
both files go when the job ends, however it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from fastapi import HTTPException, UploadFile
from PIL import Image

from api.settings import Settings
from core.clips.video import (
    ClipError,
    ClipKind,
    ClipLimits,
    ClipTooLarge,
    looks_like_clip,
    open_clip,
)

if TYPE_CHECKING:  # the worker side only: the API process of the Redis mode runs no engine
    from core.clips.stylize import ClipProgress
    from core.params import StyleParams

COPY_CHUNK = 1024 * 1024
FIRST_FRAME_SIDE = 1024  # the first frame stands for the clip in the job: its aspect, a look


@dataclass
class ClipSource:
    """An uploaded clip on disk, waiting for (or being painted by) a worker."""

    path: Path
    kind: ClipKind  # what the clip is; the result is of this kind unless `format` says
    frames: int  # from the header; estimated from its length where it counts none
    seconds: float
    temporal: float  # ClipParams.temporal

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def clip_limits(settings: Settings) -> ClipLimits:
    return ClipLimits(
        max_seconds=settings.max_clip_seconds,
        max_frames=settings.max_clip_frames,
        max_pixels=settings.max_clip_pixels,
    )


def make_scratch(settings: Settings) -> tuple[Path, bool]:
    """The folder clips wait in, and whether this process made it (and removes it)."""
    if settings.clip_dir:
        path = Path(settings.clip_dir)
        path.mkdir(parents=True, exist_ok=True)
        return path, False
    return Path(tempfile.mkdtemp(prefix="stylize-clips-")), True


def remove_scratch(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


async def is_clip(upload: UploadFile) -> bool:
    head = await upload.read(16)
    await upload.seek(0)
    return looks_like_clip(head)


def _copy(source: BinaryIO, target: Path, limit: int, name: str) -> None:
    written = 0
    with target.open("wb") as out:
        while chunk := source.read(COPY_CHUNK):
            written += len(chunk)
            if written > limit:
                raise HTTPException(413, f"{name} is larger than {limit:,} bytes")
            out.write(chunk)


def _probe(path: Path, limits: ClipLimits, name: str) -> tuple[ClipKind, int, float, Image.Image]:
    """The clip's kind, frame count, length and first frame; ClipError if it has none."""
    with open_clip(path, limits, name) as reader:
        info = reader.info
        with contextlib.closing(reader.frames()) as frames:
            try:
                first = next(frames).image
            except StopIteration:  # frames() raises for an empty clip; this is a backstop
                raise ClipError(f"{name} has no video frames") from None
    first.thumbnail((FIRST_FRAME_SIDE, FIRST_FRAME_SIDE))
    count = info.frames or max(1, round(info.seconds * float(info.fps)))
    return info.kind, count, info.seconds, first


async def spool_clip(
    upload: UploadFile, settings: Settings, scratch: Path, temporal: float
) -> tuple[ClipSource, Image.Image]:
    """Copy the clip to `scratch` and check it; its source and first frame, or 413/422."""
    limit = settings.max_clip_bytes
    if upload.size is not None and upload.size > limit:
        raise HTTPException(413, f"content is larger than {limit:,} bytes")
    path = scratch / f"{secrets.token_hex(12)}.clip"
    loop = asyncio.get_running_loop()
    try:
        await loop.run_in_executor(None, _copy, upload.file, path, limit, "content")
        kind, frames, seconds, first = await loop.run_in_executor(
            None, _probe, path, clip_limits(settings), "content"
        )
    except ClipTooLarge as exc:
        path.unlink(missing_ok=True)
        raise HTTPException(413, str(exc)) from None
    except ClipError as exc:
        path.unlink(missing_ok=True)
        raise HTTPException(422, str(exc)) from None
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return ClipSource(path, kind, frames, seconds, temporal), first


def paint_clip(
    engine: object,
    source: ClipSource,
    styles: list[Image.Image],
    params: StyleParams,
    kind: ClipKind,
    limits: ClipLimits,
    on_frame: Callable[[ClipProgress], None],
) -> bytes:
    """Paint the clip with `engine` (core.engine.Engine) and return the encoded result;
    `on_frame` may raise core.stylizer.Cancelled. The source and the output are removed."""
    from core.clips.stylize import stylize_clip
    from core.params import ClipParams

    target = source.path.with_name(f"{source.path.stem}.out.{kind}")
    try:
        stylize_clip(
            engine,  # type: ignore[arg-type]
            source.path,
            target,
            styles,
            params,
            ClipParams(temporal=source.temporal),
            kind=kind,
            limits=limits,
            progress=on_frame,
            name="content",
        )
        return target.read_bytes()
    finally:
        target.unlink(missing_ok=True)
        source.discard()

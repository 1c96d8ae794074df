"""Short test clips made by panning and zooming over the held-out photos, with a moving shape.

Only photos from examples/heldout/ (no network trains on them), never data/photos. A
camera window glides over the photo (a pan, or a slow zoom in) while a drawn disc crosses
it on its own path, so the flow has both camera motion and an object moving against it,
with the occlusions that brings. One clip carries a synthesised sound track (a chord,
AAC) so that audio is kept end to end; one is also written as a GIF.

    python scripts/make_clips.py [--out examples/clips] [--height 240] [--seconds 2.5]

examples/clips/SOURCES.md lists what each clip is made of.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.clips.video import ClipWriter  # noqa: E402

HELDOUT = ROOT / "examples" / "heldout"
FPS = 24
AUDIO_RATE = 22050


@dataclass(frozen=True)
class Shot:
    """A camera move over one photo: window centre and zoom from start to end (fractions)."""

    name: str
    photo: str
    start: tuple[float, float]  # window centre, as fractions of the photo's width, height
    end: tuple[float, float]
    zoom: tuple[float, float] = (1.0, 1.0)  # window width as a fraction of the widest fit
    disc: tuple[int, int, int] = (230, 40, 40)  # the moving object's colour
    audio: bool = False
    gif: bool = False


SHOTS = (
    Shot("canyon_pan", "canyon_de_chelly.jpg", (0.3, 0.5), (0.7, 0.5), (0.7, 0.7), audio=True),
    Shot("gateway_zoom", "gateway_of_india.jpg", (0.5, 0.5), (0.5, 0.45), (0.95, 0.6)),
    Shot("lemurs_tilt", "lemurs.jpg", (0.45, 0.35), (0.55, 0.65), (0.65, 0.65), (40, 90, 230),
         gif=True),
)  # fmt: skip


def camera_frames(
    photo: Image.Image,
    size: tuple[int, int],
    frames: int,
    start: tuple[float, float] = (0.35, 0.5),
    end: tuple[float, float] = (0.65, 0.5),
    zoom: tuple[float, float] = (0.7, 0.7),
    disc: tuple[int, int, int] | None = (230, 40, 40),
    travel: float = 1.0,
) -> Iterator[Image.Image]:
    """`frames` RGB frames of `size` (w, h): a window moving from `start` to `end` over the
    photo, its width going from zoom[0] to zoom[1] of the widest window of that aspect that
    fits, and a disc (None: none) moving on an arc from the left edge over `travel` of the
    frame's width (1: it crosses the whole frame)."""
    width, height = size
    aspect = width / height
    widest = min(photo.width, photo.height * aspect)
    for i in range(frames):
        t = i / max(1, frames - 1)
        w = widest * (zoom[0] + t * (zoom[1] - zoom[0]))
        h = w / aspect
        cx = photo.width * (start[0] + t * (end[0] - start[0]))
        cy = photo.height * (start[1] + t * (end[1] - start[1]))
        cx = min(max(cx, w / 2), photo.width - w / 2)
        cy = min(max(cy, h / 2), photo.height - h / 2)
        box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
        frame = photo.resize(size, Image.Resampling.BICUBIC, box=box)
        if disc is not None:
            radius = max(3, height // 8)
            x = -radius + t * travel * (width + 2 * radius)
            y = height * (0.65 - 0.3 * np.sin(np.pi * t))
            ImageDraw.Draw(frame).ellipse(
                (x - radius, y - radius, x + radius, y + radius), fill=disc, outline=(20, 20, 20)
            )
        yield frame


def chord(seconds: float, rate: int = AUDIO_RATE) -> np.ndarray:
    """(1, samples) float32 mono: a soft A-major chord, faded in and out."""
    t = np.arange(round(seconds * rate)) / rate
    wave = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6)) / 3
    fade = np.minimum(1, np.minimum(t, seconds - t) / 0.2)
    return (0.3 * wave * fade).astype(np.float32)[None]


def add_audio(video: Path, seconds: float) -> None:
    """Rewrite `video` with the chord as an AAC track beside its H.264 stream (copied)."""
    temp = video.with_name(f".{video.name}.audio")
    with av.open(str(video)) as source, av.open(str(temp), "w", format="mp4") as out:
        stream = out.add_stream_from_template(source.streams.video[0])
        sound = out.add_stream("aac", rate=AUDIO_RATE)
        sound.layout = "mono"
        for packet in source.demux(source.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                out.mux(packet)
        frame = av.AudioFrame.from_ndarray(chord(seconds), format="flt", layout="mono")
        frame.sample_rate, frame.pts = AUDIO_RATE, 0
        for packet in [*sound.encode(frame), *sound.encode(None)]:
            out.mux(packet)
    temp.replace(video)


def make(shot: Shot, out: Path, height: int, seconds: float) -> list[Path]:
    photo = Image.open(HELDOUT / shot.photo).convert("RGB")
    width = round(height * 4 / 3) // 2 * 2
    frames = round(seconds * FPS)
    written = [out / f"{shot.name}.mp4"]
    with ClipWriter(written[0], "mp4", Fraction(FPS), crf=23) as writer:
        for frame in camera_frames(photo, (width, height), frames, shot.start, shot.end,
                                   shot.zoom, shot.disc):  # fmt: skip
            writer.write(frame)
    if shot.audio:
        add_audio(written[0], frames / FPS)
    if shot.gif:  # a GIF at 0.3 of the size and half the rate, small as GIFs are
        written.append(out / f"{shot.name}.gif")
        small = (round(width * 0.3), round(height * 0.3))
        with ClipWriter(written[1], "gif", Fraction(FPS, 2)) as writer:
            for frame in camera_frames(photo, small, frames // 2, shot.start, shot.end,
                                       shot.zoom, shot.disc):  # fmt: skip
                writer.write(frame, 2 / FPS)
    return written


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=ROOT / "examples" / "clips")
    p.add_argument("--height", type=int, default=240)
    p.add_argument("--seconds", type=float, default=2.5)
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for shot in SHOTS:
        for path in make(shot, args.out, args.height, args.seconds):
            shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
            print(f"{shown}: {path.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()

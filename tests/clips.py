"""Clips for tests, made by PyAV directly (not by the code under test)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from PIL import Image

W, H, FRAMES, FPS = 64, 48, 12, 12


def frame(i: int, width: int = W, height: int = H) -> Image.Image:
    """A frame that says its index: a bar whose position and colour move with i."""
    arr = np.full((height, width, 3), 40, np.uint8)
    x = (4 * i) % (width - 8)
    arr[:, x : x + 8] = (200, 20 * i % 256, 255 - 20 * i % 256)
    return Image.fromarray(arr)


def write_clip(path: Path, fmt: str = "mp4", audio: str | None = None, frames: int = FRAMES):
    """A real clip written by PyAV directly (not by the code under test)."""
    with av.open(str(path), "w", format=fmt) as out:
        video = out.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = W, H, "yuv420p"
        sound = out.add_stream(audio, rate=16000) if audio else None
        if sound is not None:
            sound.layout = "mono"
        for i in range(frames):
            for packet in video.encode(av.VideoFrame.from_image(frame(i))):
                out.mux(packet)
        for packet in video.encode(None):
            out.mux(packet)
        if sound is not None:
            t = np.arange(16000 * frames // FPS) / 16000
            samples = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None]
            chunk = av.AudioFrame.from_ndarray(samples, format="flt", layout="mono")
            chunk.sample_rate, chunk.pts = 16000, 0
            for packet in [*sound.encode(chunk), *sound.encode(None)]:
                out.mux(packet)
    return path


def audio_only_clip(path: Path) -> Path:
    """An MP4 holding one second of silence and no video stream."""
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=16000)
        stream.layout = "mono"
        chunk = av.AudioFrame.from_ndarray(np.zeros((1, 16000), np.float32), "flt", "mono")
        chunk.sample_rate, chunk.pts = 16000, 0
        for packet in [*stream.encode(chunk), *stream.encode(None)]:
            out.mux(packet)
    return path


def zero_frame_clip(path: Path) -> Path:
    """An MP4 with a video stream's header and not a single frame."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        out.start_encoding()
    return path

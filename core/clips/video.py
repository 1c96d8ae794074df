"""Clips in and out: MP4, MOV, WebM, GIF and what else FFmpeg reads, through PyAV.

Reading streams frames one at a time (never the whole clip in memory) and trusts nothing:
the header's size, length and frame count are checked against the caller's limits before
any frame is decoded, and again while decoding, since a header can lie. Writing goes to a
hidden file beside the target that replaces it only once the clip is complete, so a failed
or cancelled job leaves nothing behind. MP4 out is H.264 in yuv420p with the index first
(+faststart), which Telegram and browsers play; the source's audio is copied, or
re-encoded to AAC where MP4 cannot carry its codec. GIF out keeps the frames' durations.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Literal

import av
import numpy as np
from PIL import Image

ClipKind = Literal["mp4", "gif"]
CLIP_KINDS: tuple[ClipKind, ...] = ("mp4", "gif")
SUFFIXES: dict[str, ClipKind] = {".mp4": "mp4", ".m4v": "mp4", ".gif": "gif"}
MEDIA_TYPES: dict[ClipKind, str] = {"mp4": "video/mp4", "gif": "image/gif"}

DEFAULT_MAX_PIXELS = 3840 * 2160  # per frame: 4K UHD
# Image formats FFmpeg opens as a one-frame "video": a photo is not a clip.
STILL_FORMATS = frozenset(
    {"image2", "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe", "tiff_pipe", "heif"}
)
# Audio codecs an MP4 carries as they are; others (Opus, Vorbis, PCM) become AAC.
MP4_AUDIO = frozenset({"aac", "mp3", "ac3", "eac3", "alac"})
# Fewer decoded frames than the header promises, beyond this slack, means a cut-off file
# (a decoder may drop a frame or two at an edit list's edges).
MISSING_FRAMES_SLACK = 2
GIF_TICK = Fraction(1, 100)  # GIF delays are whole centiseconds
GIF_MIN_DELAY = 2  # browsers play 0-1 cs delays at 10 cs: never write them
# Mean error (0..255 levels) of a frame in the GIF's current palette above which the frame
# gets a palette of its own (a new scene, a new colour).
PALETTE_REFRESH = 3.0


class ClipError(ValueError):
    """The file is not a clip we accept; the message says why, for the user."""


class ClipTooLarge(ClipError):  # noqa: N818 - a kind of ClipError
    """The clip is longer, has more frames or larger frames than the caller allows."""


@dataclass(frozen=True)
class ClipLimits:
    """What a caller accepts; None: no limit of that kind (pixels always have one)."""

    max_seconds: float | None = None
    max_frames: int | None = None
    max_pixels: int = DEFAULT_MAX_PIXELS


@dataclass(frozen=True)
class ClipInfo:
    """What the header says (frames: 0 where the container does not count them)."""

    width: int  # as stored: a phone's portrait clip reads sideways here, its frames upright
    height: int
    fps: Fraction  # average frame rate
    frames: int
    seconds: float
    has_audio: bool
    kind: ClipKind  # what an output "like the input" is: gif for a GIF, mp4 for the rest
    container: str  # FFmpeg's demuxer name


@dataclass(frozen=True)
class ClipFrame:
    """One decoded frame: 8-bit RGB, upright, with its place in time (seconds)."""

    image: Image.Image
    time: float
    duration: float


def looks_like_clip(head: bytes) -> bool:
    """Whether the first bytes of a file are those of a clip (not a photo): by content,
    not by name. HEIC and AVIF photos share MP4's box structure; their brands tell them."""
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return True
    if head[:4] == b"\x1a\x45\xdf\xa3":  # Matroska / WebM
        return True
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return True
    if head[4:8] == b"ftyp":
        return head[8:12] not in (b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif")
    return head[4:8] in (b"moov", b"mdat", b"wide", b"free")  # old QuickTime files


def output_kind(path: str | Path) -> ClipKind | None:
    """The clip format a path's suffix asks for, or None if it names none."""
    return SUFFIXES.get(Path(path).suffix.lower())


def _error(name: str, exc: Exception) -> ClipError:
    return ClipError(f"{name} is damaged or truncated ({exc})")


class ClipReader:
    """An open clip: its `info` from the header, then its frames streamed by `frames()`."""

    def __init__(
        self, path: str | Path, limits: ClipLimits | None = None, name: str | None = None
    ) -> None:
        self.name = name or Path(path).name  # what messages call the file
        self._path = Path(path)
        self.limits = limits or ClipLimits()
        try:
            self._container = av.open(str(path), metadata_errors="ignore")
        except av.FFmpegError as exc:
            raise ClipError(f"{self.name} is not a video we can read") from exc
        try:
            self.info = self._probe()
        except BaseException:
            self._container.close()
            raise

    def _probe(self) -> ClipInfo:
        container = self._container
        fmt = container.format.name
        if fmt in STILL_FORMATS or fmt.split(",")[0] in STILL_FORMATS:
            raise ClipError(f"{self.name} is a still image, not a clip")
        has_audio = bool(container.streams.audio)
        if not container.streams.video:
            # FFmpeg lists no video stream for a track without a single frame.
            what = "only sound" if has_audio else "no video frames"
            raise ClipError(f"{self.name} has {what}; a video or GIF animation is needed")
        stream = container.streams.video[0]
        if stream.codec_context is None:  # a stream FFmpeg found no decoder or header for
            raise ClipError(f"{self.name} is damaged or truncated: its video cannot be decoded")
        width, height = stream.codec_context.width, stream.codec_context.height
        if width <= 0 or height <= 0:
            # FFmpeg leaves the size at 0 when the header claims one it will not allocate.
            raise ClipError(f"{self.name} claims a frame size no decoder accepts")
        self._check_pixels(width, height)
        fps = Fraction(stream.average_rate or stream.guessed_rate or 0)
        seconds = 0.0
        if stream.duration is not None and stream.time_base is not None:
            seconds = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            seconds = container.duration / av.time_base
        frames = stream.frames or 0
        if fps <= 0:
            fps = Fraction(frames / seconds).limit_denominator(1001) if frames and seconds else 25
        self._check_length(seconds, frames)
        kind: ClipKind = "gif" if fmt == "gif" else "mp4"
        if kind == "gif" and not _ends_gif(self._path):
            # FFmpeg stops quietly where a cut-off GIF ends: its trailer byte tells.
            raise ClipError(f"{self.name} is truncated: the GIF ends before its last frame")
        return ClipInfo(width, height, fps, frames, seconds, has_audio, kind, fmt)

    def _check_pixels(self, width: int, height: int) -> None:
        if width * height > self.limits.max_pixels:
            raise ClipTooLarge(
                f"{self.name} has frames of {width}x{height} px ({width * height:,} pixels); "
                f"the limit is {self.limits.max_pixels:,} pixels"
            )

    def _check_length(self, seconds: float, frames: int) -> None:
        limits = self.limits
        if limits.max_seconds is not None and seconds > limits.max_seconds:
            raise ClipTooLarge(
                f"{self.name} is {seconds:.1f} s long; the limit is {limits.max_seconds:g} s"
            )
        if limits.max_frames is not None and frames > limits.max_frames:
            raise ClipTooLarge(
                f"{self.name} has {frames} frames; the limit is {limits.max_frames} frames"
            )

    def frames(self) -> Iterator[ClipFrame]:
        """Decode frame by frame; ClipError if the file turns out damaged or too large."""
        stream = self._container.streams.video[0]
        stream.thread_type = "AUTO"
        start = None
        count = 0
        try:
            for frame in self._container.decode(stream):
                if frame.pts is None and frame.time is None:
                    continue
                time = frame.time or 0.0
                start = time if start is None else start
                self._check_pixels(frame.width, frame.height)
                count += 1
                # The header may have lied about the length: count as we go.
                self._check_length(time - start, count)
                yield ClipFrame(self._image(frame), time - start, self._duration(frame))
        except av.FFmpegError as exc:
            raise _error(self.name, exc) from exc
        if count == 0:
            raise ClipError(f"{self.name} has no video frames")
        if self.info.frames and count < self.info.frames - MISSING_FRAMES_SLACK:
            raise ClipError(
                f"{self.name} is truncated: {count} of its {self.info.frames} frames could be read"
            )

    def _duration(self, frame: av.VideoFrame) -> float:
        if frame.duration and frame.time_base:
            return float(frame.duration * frame.time_base)
        return float(1 / self.info.fps)

    @staticmethod
    def _image(frame: av.VideoFrame) -> Image.Image:
        image = frame.to_image()  # RGB24, whatever the pixel format
        rotation = int(getattr(frame, "rotation", 0) or 0)
        # Phones store portrait clips sideways with a rotation to apply on display.
        return image.rotate(rotation, expand=True) if rotation % 360 else image

    def close(self) -> None:
        self._container.close()

    def __enter__(self) -> ClipReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _ends_gif(path: Path) -> bool:
    """Whether a GIF file ends with the trailer byte (';'), ignoring padding NULs."""
    with path.open("rb") as fh:
        fh.seek(max(0, path.stat().st_size - 64))
        return fh.read().rstrip(b"\0").endswith(b";")


def open_clip(
    path: str | Path, limits: ClipLimits | None = None, name: str | None = None
) -> ClipReader:
    """Open a clip and check its header against `limits`; ClipError if it is not one.
    Messages call it `name` (default: its file name)."""
    return ClipReader(path, limits, name)


class ClipWriter:
    """Write RGB frames to an MP4 or GIF file, atomically: the file appears only on close().

    `audio_from` names the clip whose first audio stream goes into the MP4 (ignored for GIF);
    audio is interleaved as the frames come, so nothing accumulates in memory.
    """

    def __init__(
        self,
        path: str | Path,
        kind: ClipKind,
        fps: Fraction,
        audio_from: str | Path | None = None,
        crf: int = 20,
    ) -> None:
        if kind not in CLIP_KINDS:
            raise ValueError(f"clip kind must be one of {', '.join(CLIP_KINDS)}; got {kind!r}")
        self.path = Path(path)
        self.kind, self.fps, self.crf = kind, Fraction(fps), crf
        # A hidden name beside the target (same file system: the final rename is atomic),
        # created by FFmpeg with the usual permissions.
        self._temp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(6)}.part")
        options = {"movflags": "+faststart"} if kind == "mp4" else {}
        self._out = av.open(str(self._temp), "w", format=kind, options=options)
        self._video: av.video.stream.VideoStream | None = None
        self._audio = _AudioCopy(audio_from, self._out) if audio_from and kind == "mp4" else None
        self._palette: Image.Image | None = None
        self._count = 0
        self._gif_pts = 0
        self._time = 0.0

    def write(self, image: Image.Image, duration: float | None = None) -> None:
        """Append one frame; `duration` (seconds) matters for GIF only, MP4 is at `fps`."""
        if self._video is None:
            self._video = self._open_video(image.size)
        stream = self._video
        if self.kind == "mp4":
            # yuv420p halves the chroma: both sides must be even; drop the odd last pixel.
            image = image.crop((0, 0, stream.width, stream.height)).convert("RGB")
            frame = av.VideoFrame.from_image(image)
            frame.pts = self._count
            self._mux(stream.encode(frame))
            if self._audio is not None:
                self._audio.copy_until(self._count / self.fps)
        else:
            self._write_gif(image, duration if duration is not None else float(1 / self.fps))
        self._count += 1

    def _open_video(self, size: tuple[int, int]) -> av.video.stream.VideoStream:
        width, height = size
        if self.kind == "mp4":
            if width < 2 or height < 2:
                raise ValueError(f"a frame of {width}x{height} px is too small for H.264")
            stream = self._out.add_stream("libx264", rate=self.fps)
            stream.width, stream.height = width - width % 2, height - height % 2
            stream.pix_fmt = "yuv420p"
            stream.options = {"crf": str(self.crf), "preset": "fast"}
        else:
            stream = self._out.add_stream("gif", rate=1 / GIF_TICK)
            stream.width, stream.height, stream.pix_fmt = width, height, "pal8"
        if self._audio is not None:
            self._audio.open()  # every stream exists before the header is written
        return stream

    def _write_gif(self, image: Image.Image, duration: float) -> None:
        indexed = self._indexed(image.convert("RGB"))
        rgb = np.array(self._palette.getpalette()[: 256 * 3], np.uint8).reshape(-1, 3)
        table = np.zeros((256, 4), np.uint8)
        table[:, 0] = 255  # opaque; PyAV takes the palette's bytes as alpha, red, green, blue
        table[: len(rgb), 1:] = rgb
        frame = av.VideoFrame.from_ndarray((np.array(indexed), table), format="pal8")
        frame.pts, frame.time_base = self._gif_pts, GIF_TICK
        # Delays from the running time, so rounding to centiseconds never drifts.
        self._time += duration
        delay = max(GIF_MIN_DELAY, round(self._time / GIF_TICK) - self._gif_pts)
        self._gif_pts += delay
        packets = self._video.encode(frame)  # type: ignore[union-attr]
        for packet in packets:
            packet.duration = delay  # the muxer writes the last frame's delay from it
        self._mux(packets)

    def _indexed(self, image: Image.Image) -> Image.Image:
        """The frame in the current palette, made anew only when the frame's colours have
        left it: a new palette every frame would flicker, and no dithering, since dither
        patterns crawl from frame to frame."""
        if self._palette is not None:
            indexed = image.quantize(palette=self._palette, dither=Image.Dither.NONE)
            error = np.abs(np.asarray(indexed.convert("RGB"), np.int16) - np.asarray(image))
            if error.mean() <= PALETTE_REFRESH:
                return indexed
        self._palette = image.quantize(256, Image.Quantize.MEDIANCUT)
        return image.quantize(palette=self._palette, dither=Image.Dither.NONE)

    def _mux(self, packets: list[av.Packet]) -> None:
        for packet in packets:
            self._out.mux(packet)

    def close(self) -> None:
        """Finish the file and move it into place; ClipError if no frame was written."""
        if self._video is None:
            self.abort()
            raise ClipError("no frames to write")
        self._mux(self._video.encode(None))
        if self._audio is not None:
            self._audio.copy_until(None)
            self._audio.close()
        self._out.close()
        os.replace(self._temp, self.path)

    def abort(self) -> None:
        """Drop the unfinished file."""
        if self._audio is not None:
            self._audio.close()
        try:
            self._out.close()
        except av.FFmpegError:
            pass  # an unfinished stream may not close cleanly; the file goes anyway
        self._temp.unlink(missing_ok=True)

    def __enter__(self) -> ClipWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


class _AudioCopy:
    """The first audio stream of a source clip, fed into an output as its video is written."""

    def __init__(self, source: str | Path, out: av.container.OutputContainer) -> None:
        self._source_path, self._out = source, out
        self._source: av.container.InputContainer | None = None
        self._packets: Iterator[av.Packet] | None = None
        self._pending: av.Packet | None = None
        self._stream: av.audio.stream.AudioStream | None = None
        self._copy = False
        self._flushed = False

    def open(self) -> None:
        source = av.open(str(self._source_path), metadata_errors="ignore")
        if not source.streams.audio:
            source.close()
            return
        self._source = source
        audio = source.streams.audio[0]
        # Our video starts at 0; the source's may not: keep the two in step.
        video = source.streams.video[0] if source.streams.video else None
        start = video.start_time * video.time_base if video and video.start_time else 0
        self._offset = Fraction(start)
        self._copy = audio.codec_context.name in MP4_AUDIO
        if self._copy:
            self._stream = self._out.add_stream_from_template(audio)
        else:
            self._stream = self._out.add_stream("aac", rate=audio.codec_context.sample_rate)
            # Mono stays mono; anything else is mixed to stereo (and an unnamed channel order,
            # which the AAC encoder refuses, is read as the usual one).
            layout = "mono" if audio.codec_context.channels == 1 else "stereo"
            self._stream.layout = layout
            # Our own resampler, flushed at the end: the encoder's would drop the last
            # part-filled frame (about 0.1 s of sound).
            self._resampler = av.AudioResampler(
                format="fltp", layout=layout, rate=self._stream.rate, frame_size=1024
            )
            self._samples = 0
        self._packets = source.demux(audio)

    def copy_until(self, until: Fraction | None) -> None:
        """Mux the source's audio up to `until` seconds of output (None: all of it)."""
        if self._stream is None or self._flushed:
            return
        for packet in self._next_packets(until):
            if self._copy:
                self._mux_copy(packet)
            else:
                for frame in packet.decode():
                    frame.pts = None  # numbered again, in samples, after resampling
                    self._encode(self._resampler.resample(frame))
        if until is None:
            self._flushed = True
            if not self._copy:
                self._encode(self._resampler.resample(None))
                self._mux(self._stream.encode(None))

    def _encode(self, frames: list[av.AudioFrame]) -> None:
        for frame in frames:
            frame.pts, frame.time_base = self._samples, Fraction(1, frame.sample_rate)
            self._samples += frame.samples
            self._mux(self._stream.encode(frame))  # type: ignore[union-attr]

    def _next_packets(self, until: Fraction | None) -> Iterator[av.Packet]:
        while self._packets is not None:
            packet = self._pending if self._pending is not None else next(self._packets, None)
            self._pending = None
            if packet is None:
                self._packets = None
                return
            if packet.dts is None and packet.size == 0:
                continue  # the demuxer's end-of-stream marker
            time = packet.pts * packet.time_base - self._offset if packet.pts is not None else 0
            if until is not None and time > until:
                self._pending = packet
                return
            yield packet

    def _mux_copy(self, packet: av.Packet) -> None:
        shift = round(self._offset / packet.time_base)
        if packet.pts is not None:
            packet.pts -= shift
        if packet.dts is not None:
            packet.dts -= shift
        packet.stream = self._stream
        self._out.mux(packet)

    def _mux(self, packets: list[av.Packet]) -> None:
        for packet in packets:
            self._out.mux(packet)

    def close(self) -> None:
        if self._source is not None:
            self._source.close()
            self._source = None

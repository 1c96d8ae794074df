"""core/clips/video.py: clips read and written through PyAV, and every kind of bad clip refused."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from core.clips.video import (
    ClipError,
    ClipLimits,
    ClipTooLarge,
    ClipWriter,
    looks_like_clip,
    open_clip,
    output_kind,
)
from tests.clips import FPS, FRAMES, H, W, audio_only_clip, frame, write_clip, zero_frame_clip


def read_all(path: Path, limits: ClipLimits | None = None):
    with open_clip(path, limits) as reader:
        return reader.info, list(reader.frames())


def audio_seconds(path: Path) -> float:
    with av.open(str(path)) as clip:
        stream = clip.streams.audio[0]
        return sum(f.samples for f in clip.decode(stream)) / stream.codec_context.sample_rate


def no_leftovers(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if p.name.startswith(".")]


def test_an_mp4_is_read_frame_by_frame_with_its_header(tmp_path):
    info, frames = read_all(write_clip(tmp_path / "in.mp4", audio="aac"))
    assert (info.width, info.height, info.fps, info.frames) == (W, H, FPS, FRAMES)
    assert info.has_audio and info.kind == "mp4"
    assert info.seconds == pytest.approx(FRAMES / FPS, abs=0.05)
    assert len(frames) == FRAMES
    assert [round(f.time * FPS) for f in frames] == list(range(FRAMES))
    # The bar of frame 5 is where frame 5 drew it (H.264 is lossy: near, not equal).
    got = np.asarray(frames[5].image, np.int16)
    assert np.abs(got - np.asarray(frame(5), np.int16)).mean() < 6


def test_mp4_round_trip_keeps_frames_rate_size_and_sound(tmp_path):
    source = write_clip(tmp_path / "in.mp4", audio="aac")
    info, frames = read_all(source)
    out = tmp_path / "out.mp4"
    with ClipWriter(out, "mp4", info.fps, audio_from=source) as writer:
        for f in frames:
            writer.write(f.image)
    again, copied = read_all(out)
    assert (again.width, again.height, again.fps, again.frames) == (W, H, FPS, FRAMES)
    assert again.has_audio and audio_seconds(out) == pytest.approx(audio_seconds(source), abs=0.1)
    assert np.abs(np.asarray(copied[7].image, np.int16) - np.asarray(frame(7))).mean() < 8
    data = out.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # +faststart: plays while downloading
    with av.open(str(out)) as clip:
        stream = clip.streams.video[0]
        assert (stream.codec_context.name, stream.codec_context.pix_fmt) == ("h264", "yuv420p")
    assert no_leftovers(tmp_path)


def test_sound_mp4_cannot_carry_is_re_encoded_to_aac(tmp_path):
    source = write_clip(tmp_path / "in.mkv", fmt="matroska", audio="pcm_s16le")
    info, frames = read_all(source)
    out = tmp_path / "out.mp4"
    with ClipWriter(out, "mp4", info.fps, audio_from=source) as writer:
        for f in frames:
            writer.write(f.image)
    with av.open(str(out)) as clip:
        assert clip.streams.audio[0].codec_context.name == "aac"
    assert audio_seconds(out) == pytest.approx(FRAMES / FPS, abs=0.1)


def test_odd_frame_sizes_become_even_for_h264(tmp_path):
    out = tmp_path / "odd.mp4"
    with ClipWriter(out, "mp4", Fraction(FPS)) as writer:
        for i in range(3):
            writer.write(frame(i, 63, 47))
    info, _ = read_all(out)
    assert (info.width, info.height) == (62, 46)


def test_gif_round_trip_keeps_each_frames_duration(tmp_path):
    durations = [0.1, 0.2, 0.05, 0.3, 0.1]
    out = tmp_path / "out.gif"
    with ClipWriter(out, "gif", Fraction(10)) as writer:
        for i, seconds in enumerate(durations):
            writer.write(frame(i), seconds)
    info, frames = read_all(out)
    assert info.kind == "gif" and (info.width, info.height) == (W, H)
    assert [round(f.duration, 2) for f in frames] == durations
    # Colours survive the palette: the bar of frame 3 is still frame 3's.
    got = np.asarray(frames[3].image, np.int16)
    assert np.abs(got - np.asarray(frame(3), np.int16)).mean() < 4


def test_a_writer_that_fails_leaves_nothing_behind(tmp_path):
    out = tmp_path / "out.mp4"
    with pytest.raises(RuntimeError), ClipWriter(out, "mp4", Fraction(FPS)) as writer:
        writer.write(frame(0))
        raise RuntimeError("the job was cancelled")
    assert not out.exists() and no_leftovers(tmp_path)


def test_clips_are_recognised_by_content_not_name(tmp_path):
    mp4 = write_clip(tmp_path / "clip.jpg")  # a misnamed MP4
    frame(0).save(tmp_path / "photo.mp4", "PNG")  # a misnamed photo
    assert looks_like_clip(mp4.read_bytes()[:16])
    assert not looks_like_clip((tmp_path / "photo.mp4").read_bytes()[:16])
    assert looks_like_clip(b"GIF89a" + bytes(10))
    assert not looks_like_clip(b"\0\0\0\x18ftypheic" + bytes(4))  # an iPhone photo
    assert (output_kind("a.GIF"), output_kind("a.mp4"), output_kind("a.png")) == (
        "gif",
        "mp4",
        None,
    )


def test_not_a_video(tmp_path):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a video at all " * 20)
    with pytest.raises(ClipError, match="not a video"):
        read_all(junk)
    photo = tmp_path / "photo.png"
    frame(0).save(photo)
    with pytest.raises(ClipError, match="still image"):
        read_all(photo)


def test_a_truncated_mp4(tmp_path):
    # Our own MP4s have their index first, so a cut one opens and fails while decoding.
    whole = tmp_path / "whole.mp4"
    with ClipWriter(whole, "mp4", Fraction(FPS)) as writer:
        for _ in range(FRAMES):
            writer.write(Image.effect_noise((W, H), 60).convert("RGB"))
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(ClipError, match="truncated"):
        read_all(cut)
    # A camera's MP4, index last, cut before its index: it does not even open.
    camera = write_clip(tmp_path / "camera.mp4")
    (tmp_path / "cut2.mp4").write_bytes(camera.read_bytes()[:1500])
    with pytest.raises(ClipError):
        read_all(tmp_path / "cut2.mp4")


def test_a_truncated_gif(tmp_path):
    whole = tmp_path / "whole.gif"
    with ClipWriter(whole, "gif", Fraction(10)) as writer:
        for i in range(6):
            writer.write(frame(i))
    cut = tmp_path / "cut.gif"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size * 2 // 3])
    with pytest.raises(ClipError, match="truncated"):
        read_all(cut)


def test_zero_video_frames(tmp_path):
    empty = zero_frame_clip(tmp_path / "empty.mp4")
    with pytest.raises(ClipError, match="no video frames"):
        read_all(empty)


def test_an_audio_only_file(tmp_path):
    sound = audio_only_clip(tmp_path / "voice.m4a")
    with pytest.raises(ClipError, match="only sound"):
        read_all(sound)


def test_a_header_claiming_a_huge_size_is_refused_before_decoding(tmp_path):
    gif = tmp_path / "small.gif"
    with ClipWriter(gif, "gif", Fraction(10)) as writer:
        for i in range(3):
            writer.write(frame(i))
    data = bytearray(gif.read_bytes())
    data[6:10] = (10000).to_bytes(2, "little") * 2  # the logical screen: 10000 x 10000 px
    (tmp_path / "huge.gif").write_bytes(data)
    with pytest.raises(ClipTooLarge, match="10000x10000"):
        open_clip(tmp_path / "huge.gif")  # from the header alone
    data[6:10] = (60000).to_bytes(2, "little") * 2  # more than FFmpeg will allocate
    (tmp_path / "absurd.gif").write_bytes(data)
    with pytest.raises(ClipError, match="frame size"):
        open_clip(tmp_path / "absurd.gif")


@pytest.mark.parametrize(
    ("limits", "words"),
    [
        (ClipLimits(max_seconds=0.5), "1.0 s long; the limit is 0.5 s"),
        (ClipLimits(max_frames=5), "12 frames; the limit is 5"),
        (ClipLimits(max_pixels=1000), "64x48 px"),
    ],
)
def test_the_callers_limits_are_checked_from_the_header(tmp_path, limits, words):
    clip = write_clip(tmp_path / "in.mp4")
    with pytest.raises(ClipTooLarge, match=words):
        open_clip(clip, limits)
    assert read_all(clip)[1]  # and the clip itself is fine


def test_limits_hold_while_decoding_where_the_header_does_not_count(tmp_path):
    # Matroska gives no frame count: the limit is met while decoding, frame by frame.
    clip = write_clip(tmp_path / "in.mkv", fmt="matroska")
    with open_clip(clip, ClipLimits(max_frames=5)) as reader:
        assert reader.info.frames == 0
        seen = []
        with pytest.raises(ClipTooLarge, match="limit is 5 frames"):
            for f in reader.frames():
                seen.append(f)
    assert len(seen) == 5

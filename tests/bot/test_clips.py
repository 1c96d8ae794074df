"""Clips in Telegram: a video, a GIF animation or a video note in, the same kind painted out,
with progress per frame, cancel and the per-user limits; through the real service (its fake
engine paints every frame red)."""

from __future__ import annotations

import asyncio
import io
import threading

import av
import numpy as np
import pytest

from bot.callbacks import SettingChoice, StyleChoice
from tests.bot.conftest import API_KEY, bot_settings, running_bot
from tests.bot.test_real_service import serve
from tests.clips import FRAMES, write_clip

api_main = pytest.importorskip("api.main")
api_settings = pytest.importorskip("api.settings")
api_fakes = pytest.importorskip("tests.api.conftest")


def square_clip(path, side: int = 48, frames: int = 6) -> bytes:
    """A round video note is a square clip."""
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=12)
        stream.width = stream.height = side
        stream.pix_fmt = "yuv420p"
        for i in range(frames):
            picture = np.full((side, side, 3), 30 + 20 * i, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path.read_bytes()


def frames_of(data: bytes) -> list[np.ndarray]:
    with av.open(io.BytesIO(data)) as clip:
        return [f.to_ndarray(format="rgb24") for f in clip.decode(video=0)]


@pytest.fixture
def fake():
    return api_fakes.FakeStylizer(steps=1)


@pytest.fixture
async def service_url(fake):
    settings = api_settings.Settings(api_key=API_KEY, max_size=64, warm_up=False)
    async with serve(api_main.create_app(settings, stylizer=fake)) as url:
        yield url


async def pick(telegram, preset: str = "starry_night", after: int = 0) -> None:
    answer = await telegram.wait_for("sendMessage", lambda c: bool(c.buttons()), after=after)
    assert "Got the clip" in answer.text
    telegram.press(StyleChoice(preset=preset).pack())


@pytest.mark.parametrize(
    ("kind", "sent_as", "field"),
    [
        ("video", "sendVideo", "video"),
        ("animation", "sendAnimation", "animation"),
    ],
)
async def test_a_clip_comes_back_painted_as_the_same_kind(
    telegram, service_url, fake, tmp_path, kind, sent_as, field
):
    async with running_bot(bot_settings(telegram, service_url)):
        telegram.clip(write_clip(tmp_path / "in.mp4").read_bytes(), kind)
        await pick(telegram)
        sent = await telegram.wait_for(sent_as, timeout=30)
        await telegram.wait_text("Done!")
    frames = frames_of(sent.files[field])
    assert len(frames) == FRAMES and frames[0].shape[:2] == (48, 64)  # the service's MAX_SIZE
    assert frames[3][..., 0].mean() > 150  # red: the fake engine painted it
    assert not telegram.of("sendPhoto")  # a clip is not answered with a picture
    assert {p.method for p in fake.calls} == {"feedforward"}  # the instant model


async def test_a_video_note_comes_back_as_a_video_note(telegram, service_url, fake, tmp_path):
    async with running_bot(bot_settings(telegram, service_url)):
        telegram.clip(square_clip(tmp_path / "note.mp4"), "video_note")
        await pick(telegram)
        sent = await telegram.wait_for("sendVideoNote", timeout=30)
    frames = frames_of(sent.files["video_note"])
    assert len(frames) == 6 and frames[0].shape[0] == frames[0].shape[1]  # still round
    assert frames[0].shape[0] == 64  # the service's MAX_SIZE here


async def test_a_preset_first_then_a_clip(telegram, service_url, fake, tmp_path):
    async with running_bot(bot_settings(telegram, service_url)):
        telegram.text("/styles")
        await telegram.wait_for("sendMessage", lambda c: bool(c.buttons()))
        telegram.press(StyleChoice(preset="starry_night").pack())
        await telegram.wait_text("Now send the photo")
        telegram.clip(write_clip(tmp_path / "in.mp4").read_bytes())
        await telegram.wait_for("sendVideo", timeout=30)


async def test_paintings_without_an_instant_model_are_not_offered_for_clips(
    telegram, service_url, tmp_path
):
    async with running_bot(bot_settings(telegram, service_url)):
        telegram.clip(write_clip(tmp_path / "in.mp4").read_bytes())
        answer = await telegram.wait_for("sendMessage", lambda c: bool(c.buttons()))
        buttons = answer.buttons()
        assert StyleChoice(preset="starry_night").pack() in buttons
        assert StyleChoice(preset="the_scream").pack() not in buttons  # Gatys only
        telegram.press(StyleChoice(preset="the_scream").pack())  # an old keyboard, say
        await telegram.wait_text("Clips are painted by the instant models")


async def test_cancel_stops_a_clip_and_the_user_may_start_again(
    telegram, service_url, fake, tmp_path
):
    fake.gate = threading.Event()
    async with running_bot(bot_settings(telegram, service_url)):
        telegram.clip(write_clip(tmp_path / "in.mp4").read_bytes())
        await pick(telegram)
        await asyncio.to_thread(fake.step_started.wait, 10)
        # Held at its first frame: the status message counts frames.
        await telegram.wait_text("Painting frame 0 of 12", timeout=20)
        telegram.text("/start")  # the per-user limit: one job at a time
        mark = telegram.mark()
        telegram.clip(write_clip(tmp_path / "in.mp4").read_bytes())
        await pick(telegram)
        await telegram.wait_text("already have a picture in progress", after=mark)
        telegram.text("/cancel")
        await telegram.wait_text("Stopping")
        fake.gate.set()
        await telegram.wait_text("Stopped.", timeout=20)
    assert not telegram.of("sendVideo")


async def test_best_quality_is_held_to_a_video_notes_size(telegram, service_url, fake, tmp_path):
    """A video note holds at most 640 px: "best" (768 px) asks for "balanced" there, while a
    video keeps the user's quality."""
    async with running_bot(bot_settings(telegram, service_url)):
        telegram.text("/settings")
        await telegram.wait_for("sendMessage", lambda c: bool(c.buttons()))
        telegram.press(SettingChoice(key="quality", value="best").pack())
        await telegram.wait_for("editMessageText")
        mark = telegram.mark()
        telegram.clip(square_clip(tmp_path / "note.mp4"), "video_note")
        await pick(telegram, after=mark)
        await telegram.wait_for("sendVideoNote", timeout=30)
        mark = telegram.mark()
        telegram.clip(write_clip(tmp_path / "in.mp4").read_bytes())
        answer = await telegram.wait_for("sendMessage", lambda c: bool(c.buttons()), after=mark)
        assert "Got the clip" in answer.text
        telegram.press(StyleChoice(preset="starry_night").pack())
        await telegram.wait_for("sendVideo", after=mark, timeout=30)
    assert [p.quality for p in fake.calls[:1]] == ["balanced"]
    assert fake.calls[-1].quality == "best"

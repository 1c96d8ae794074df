"""Clips through the service: a video or GIF in, the same kind painted out, every bad clip
refused in words, nothing left on disk, the service running on."""

from __future__ import annotations

import io
import json
from pathlib import Path

import av
import httpx
import numpy as np
import pytest
from asgi_lifespan import LifespanManager
from PIL import Image

from api.main import create_app
from api.settings import Settings
from core.engine import SHIPPED_CHECKPOINTS, Engine
from core.gatys import GatysStylizer
from tests.api.conftest import FakeStylizer, job_files, wait_status
from tests.clips import FPS, FRAMES, H, W, audio_only_clip, frame, write_clip, zero_frame_clip


def mp4(tmp_path: Path, frames: int = FRAMES, audio: str | None = None) -> bytes:
    return write_clip(tmp_path / "in.mp4", audio=audio, frames=frames).read_bytes()


def gif(frames: int = 5, size: tuple[int, int] = (W, H)) -> bytes:
    """A GIF animation written by Pillow (100 ms a frame)."""
    images = [frame(i, *size) for i in range(frames)]
    buf = io.BytesIO()
    images[0].save(buf, "GIF", save_all=True, append_images=images[1:], duration=100, loop=0)
    return buf.getvalue()


def decoded(data: bytes) -> tuple[str, list[Image.Image], bool]:
    """The container's name, its frames and whether it has sound."""
    with av.open(io.BytesIO(data)) as clip:
        sound = bool(clip.streams.audio)
        images = [f.to_image() for f in clip.decode(video=0)]
        return clip.format.name, images, sound


def clip_files(data: bytes, name: str = "clip.mp4") -> list:
    return [("content", (name, data, "application/octet-stream"))]


@pytest.fixture
def scratch(tmp_path) -> Path:
    return tmp_path / "clips"


@pytest.fixture
async def service(scratch):
    """The service over the fake engine with its clips kept in a folder the test can see."""
    fake = FakeStylizer(steps=1)
    settings = Settings(
        warm_up=False,
        sync_timeout_s=20,
        queue_size=4,
        clip_dir=str(scratch),
        max_clip_seconds=5,
        max_clip_bytes=400_000,
    )
    app = create_app(settings, stylizer=fake)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=30) as c:
            c.fake = fake  # type: ignore[attr-defined]
            yield c


def leftovers(scratch: Path) -> list[str]:
    return sorted(p.name for p in scratch.iterdir()) if scratch.exists() else []


async def test_an_mp4_comes_back_painted_as_an_mp4_with_its_frames_and_sound(
    service, scratch, tmp_path
):
    data = mp4(tmp_path, audio="aac")
    r = await service.post(
        "/jobs", files=clip_files(data), data={"preset": "starry_night", "size": "64"}
    )
    assert r.status_code == 202, r.text
    job = r.json()
    # No method asked for: the fastest one-pass model for the painting paints the clip.
    assert job["kind"] == "clip" and job["method"] == "feedforward"
    assert job["total_steps"] == FRAMES
    done = await wait_status(service, job["id"], {"succeeded", "failed"}, timeout=30)
    assert done["status"] == "succeeded", done
    assert done["step"] == FRAMES and done["progress"] == 1.0
    result = await service.get(done["result_url"])
    assert result.headers["content-type"] == "video/mp4"
    container, images, sound = decoded(result.content)
    assert "mp4" in container and sound
    assert len(images) == FRAMES and images[0].size == (64, 48)
    red = np.asarray(images[FRAMES // 2], float).mean(axis=(0, 1))
    assert red[0] > 150 and red[1] < 80  # the fake paints every frame red
    assert leftovers(scratch) == []


async def test_a_gif_comes_back_as_a_gif_and_the_format_can_ask_otherwise(service, scratch):
    r = await service.post(
        "/stylize", files=clip_files(gif(), "anim.gif"), data={"preset": "starry_night"}
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/gif"
    container, images, _ = decoded(r.content)
    assert container == "gif" and len(images) == 5
    as_mp4 = await service.post(
        "/stylize",
        files=clip_files(gif(), "anim.gif"),
        data={"preset": "starry_night", "format": "mp4", "size": "64"},
    )
    assert as_mp4.status_code == 200 and as_mp4.headers["content-type"] == "video/mp4"
    assert len(decoded(as_mp4.content)[1]) == 5
    assert leftovers(scratch) == []


async def test_progress_comes_per_frame_over_sse_with_a_painted_frame_as_preview(service, tmp_path):
    r = await service.post(
        "/jobs",
        files=clip_files(mp4(tmp_path)),
        data={"preset": "starry_night", "size": "64", "temporal": "0"},
    )
    job = r.json()
    events = []
    async with service.stream("GET", f"/jobs/{job['id']}/events") as stream:
        async for line in stream.aiter_lines():
            if line.startswith("data:"):
                events.append(json.loads(line[5:]))
    steps = [e["step"] for e in events if e["status"] == "running"]
    assert events[-1]["status"] == "succeeded"
    assert len(set(steps)) >= FRAMES // 2 and steps == sorted(steps)  # frame after frame
    assert all(e["total_steps"] == FRAMES for e in events)
    preview = await service.get(f"/jobs/{job['id']}/preview")
    assert preview.status_code == 200 and preview.headers["content-type"] == "image/jpeg"


async def test_cancel_stops_a_running_clip_and_leaves_nothing(service, scratch, tmp_path):
    import threading

    service.fake.gate = threading.Event()
    r = await service.post(
        "/jobs", files=clip_files(mp4(tmp_path)), data={"preset": "starry_night", "size": "64"}
    )
    job = r.json()
    assert service.fake.step_started.wait(10)
    assert leftovers(scratch)  # the upload waits on disk while it is painted
    cancelled = await service.delete(f"/jobs/{job['id']}")
    assert cancelled.status_code == 200
    service.fake.gate.set()
    done = await wait_status(service, job["id"], {"cancelled", "succeeded", "failed"})
    assert done["status"] == "cancelled" and done["step"] < FRAMES
    assert (await service.get(f"/jobs/{job['id']}/result")).status_code == 409
    assert leftovers(scratch) == []


async def test_a_clip_in_the_queue_is_removed_when_cancelled_there(service, scratch, tmp_path):
    import threading

    service.fake.gate = threading.Event()
    first = (await service.post("/jobs", files=job_files(), data={"size": "32"})).json()
    assert service.fake.step_started.wait(10)
    waiting = await service.post(
        "/jobs", files=clip_files(mp4(tmp_path)), data={"preset": "starry_night", "size": "64"}
    )
    assert waiting.json()["status"] == "queued" and len(leftovers(scratch)) == 1
    await service.delete(f"/jobs/{waiting.json()['id']}")
    assert leftovers(scratch) == []
    service.fake.gate.set()
    assert (await wait_status(service, first["id"], {"succeeded"}))["status"] == "succeeded"


@pytest.mark.parametrize(
    ("data", "fields", "status", "words"),
    [
        (None, {"method": "gatys"}, 422, "too slow for a clip"),
        (None, {"format": "png"}, 422, "format: the content is a clip, written as mp4 or gif"),
        (None, {"temporal": "1.5"}, 422, "temporal"),
        (None, {"steps": "10", "method": "feedforward"}, 422, "steps: does not apply"),
    ],
)
async def test_clip_fields_are_checked(service, scratch, tmp_path, data, fields, status, words):
    r = await service.post(
        "/jobs", files=clip_files(mp4(tmp_path)), data={"preset": "starry_night", **fields}
    )
    assert r.status_code == status and words in r.json()["detail"], r.text
    assert leftovers(scratch) == []


async def test_a_photo_refuses_the_clip_fields(service):
    r = await service.post("/jobs", files=job_files(), data={"temporal": "0.5"})
    assert r.status_code == 422 and "temporal: applies only to clips" in r.json()["detail"]
    r = await service.post("/jobs", files=job_files(), data={"format": "mp4"})
    assert r.status_code == 422 and "mp4 is for clips" in r.json()["detail"]


def truncated_gif() -> bytes:
    data = gif(6)
    return data[: len(data) * 2 // 3]


def huge_gif() -> bytes:
    data = bytearray(gif(3))
    data[6:10] = (10000).to_bytes(2, "little") * 2  # the logical screen: 10000 x 10000 px
    return bytes(data)


def audio_only(tmp_path: Path) -> bytes:
    return audio_only_clip(tmp_path / "voice.m4a").read_bytes()


def zero_frames(tmp_path: Path) -> bytes:
    return zero_frame_clip(tmp_path / "empty.mp4").read_bytes()


def long_clip(tmp_path: Path) -> bytes:
    return mp4(tmp_path, frames=FPS * 6)  # 6 s where the service takes 5


def big_clip() -> bytes:
    noise = [Image.effect_noise((320, 240), 90).convert("RGB") for _ in range(12)]
    buf = io.BytesIO()
    noise[0].save(buf, "GIF", save_all=True, append_images=noise[1:], duration=100)
    return buf.getvalue()  # beyond MAX_CLIP_BYTES (400 kB) here


@pytest.mark.parametrize(
    ("make", "status", "words"),
    [
        (lambda tmp: truncated_gif(), 422, "truncated"),
        (lambda tmp: huge_gif(), 413, "10000x10000"),
        (audio_only, 422, "only sound"),
        (zero_frames, 422, "no video frames"),
        (long_clip, 413, "the limit is 5 s"),
        (lambda tmp: big_clip(), 413, "larger than 400,000 bytes"),
        (lambda tmp: b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 50, 422, "content"),
    ],
)
async def test_bad_clips_get_their_reason_and_the_service_runs_on(
    service, scratch, tmp_path, make, status, words
):
    r = await service.post(
        "/jobs", files=clip_files(make(tmp_path)), data={"preset": "starry_night"}
    )
    assert r.status_code == status and words in r.json()["detail"], r.text
    assert leftovers(scratch) == []
    ok = await service.post("/stylize", files=job_files(), data={"size": "32"})
    assert ok.status_code == 200 and ok.headers["content-type"] == "image/png"


async def test_styles_and_methods_say_which_methods_paint_clips(service):
    styles = {s["id"]: s for s in (await service.get("/styles")).json()}
    assert styles["starry_night"]["clip_methods"] == ["feedforward"]
    assert styles["the_scream"]["clip_methods"] == []
    methods = {m["id"]: m for m in (await service.get("/methods")).json()}
    assert methods["gatys"]["clips"] is False and methods["feedforward"]["clips"] is True


async def test_a_painting_with_no_one_pass_model_cannot_paint_a_clip(service, scratch, tmp_path):
    r = await service.post("/jobs", files=clip_files(mp4(tmp_path)), data={"preset": "the_scream"})
    assert r.status_code == 422 and "no one-pass model" in r.json()["detail"]
    assert leftovers(scratch) == []


async def test_the_service_removes_its_own_clip_folder_at_shutdown(tmp_path):
    import threading

    fake = FakeStylizer(steps=1)
    fake.gate = threading.Event()
    app = create_app(Settings(warm_up=False, queue_size=4), stylizer=fake)
    async with LifespanManager(app):
        folder = app.state.scratch
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            files = clip_files(mp4(tmp_path))
            await c.post("/jobs", files=job_files(), data={"size": "32"})
            r = await c.post("/jobs", files=files, data={"preset": "starry_night"})
            assert r.status_code == 202 and any(folder.iterdir())
        fake.gate.set()
    assert not folder.exists()


def flicker(images: list[Image.Image]) -> float:
    """Mean change between consecutive frames (levels of 255)."""
    arrays = [np.asarray(i, float) for i in images]
    steps = zip(arrays[:-1], arrays[1:], strict=True)
    return float(np.mean([np.abs(b - a).mean() for a, b in steps]))


async def test_a_real_network_paints_the_clip_and_temporal_steadies_it(vgg, tmp_path):
    """The shipped feedforward network through the whole service: painted, not the source;
    more `temporal`, less change from frame to frame."""
    engine = Engine(GatysStylizer(vgg, "cpu"))
    engine.add_checkpoint(SHIPPED_CHECKPOINTS / "feedforward.pt")
    app = create_app(Settings(warm_up=False, sync_timeout_s=60), stylizer=engine)
    source = mp4(tmp_path, frames=6)
    fields = {"preset": "starry_night", "size": "64"}
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=60) as c:
            r = await c.post("/stylize", files=clip_files(source), data=fields)
            assert r.status_code == 200, r.text
            steps = {}
            for temporal in ("0", "0.9"):
                answer = await c.post(
                    "/stylize", files=clip_files(source), data=fields | {"temporal": temporal}
                )
                steps[temporal] = flicker(decoded(answer.content)[1])
            assert steps["0.9"] < 0.8 * steps["0"], steps
            # The photo path beside it is unchanged.
            data = {"method": "feedforward", "preset": "starry_night", "size": "64"}
            ok = await c.post("/stylize", files=job_files(style=False), data=data)
            assert ok.status_code == 200 and ok.headers["content-type"] == "image/png"
    _, painted, _ = decoded(r.content)
    _, original, _ = decoded(source)
    assert len(painted) == 6
    for ours, theirs in zip(painted, original, strict=True):
        change = np.abs(np.asarray(ours, float) - np.asarray(theirs, float)).mean()
        assert change > 20  # painted: far from the source frame (levels of 255)

"""core/clips/stylize.py with the shipped networks: clips painted steadily, CLI too."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from PIL import Image

from core.clips.flicker import warping_error
from core.clips.stylize import ClipProgress, FramePainter, stylize_clip, stylize_frames
from core.clips.video import ClipError, ClipFrame, ClipWriter, open_clip
from core.engine import SHIPPED_CHECKPOINTS, Engine
from core.gatys import GatysStylizer
from core.params import ClipParams, StyleParams
from core.presets import load_preset_image
from core.stylizer import Cancelled
from scripts.make_clips import camera_frames
from tests.conftest import EXAMPLES
from tests.core.test_cli import stylize

SIZE = 64  # long side of the painted frames
FRAMES = 8
PRESET = "starry_night"


@pytest.fixture(scope="module")
def engine(vgg) -> Engine:
    served = Engine(GatysStylizer(vgg, "cpu"))
    for name in ("feedforward.pt", "adain.pt"):
        served.add_checkpoint(SHIPPED_CHECKPOINTS / name)
    return served


@pytest.fixture(scope="module")
def frames() -> list[ClipFrame]:
    """A slow pan over a held-out photo with a disc crossing it, at 12 fps."""
    photo = Image.open(EXAMPLES / "heldout" / "lemurs.jpg").convert("RGB")
    # About 2 px a frame: a fast pan at this tiny size leaves the flow nothing to follow.
    images = camera_frames(
        photo, (SIZE, SIZE * 3 // 4), FRAMES, (0.42, 0.5), (0.58, 0.5), (0.6, 0.6), travel=0.3
    )
    return [ClipFrame(image, i / 12, 1 / 12) for i, image in enumerate(images)]


@pytest.fixture(scope="module")
def clip_file(tmp_path_factory, frames):
    path = tmp_path_factory.mktemp("clips") / "pan.mp4"
    with ClipWriter(path, "mp4", Fraction(12)) as writer:
        for f in frames:
            writer.write(f.image)
    return path


def params(method: str) -> StyleParams:
    return StyleParams(method=method, preset=PRESET, size=SIZE)


@pytest.fixture(scope="module")
def frame_by_frame(engine, frames) -> list[Image.Image]:
    """What the engine paints for each frame as a picture: the baseline."""
    p = params("feedforward")
    return [engine.stylize(f.image, [], p).image for f in frames]


def painted(engine, frames, method: str, temporal: float) -> list[Image.Image]:
    painter = FramePainter(engine, [load_preset_image(PRESET)], params(method))
    clip = ClipParams(temporal=temporal, batch=3)
    return [image for _, image in stylize_frames(frames, painter, clip)]


def test_temporal_zero_is_the_frame_by_frame_output(engine, frames, frame_by_frame):
    ours = painted(engine, frames, "feedforward", 0.0)
    assert [np.asarray(i).tolist() for i in ours] == [
        np.asarray(i).tolist() for i in frame_by_frame
    ]


def test_temporal_zero_with_an_arbitrary_style_model_reads_the_painting_once(engine, frames):
    painting = load_preset_image(PRESET)
    alone = [engine.stylize(f.image, [painting], params("adain")).image for f in frames[:4]]
    painter = FramePainter(engine, [painting], params("adain"))
    calls = []
    style_codes = painter.stylizer.style_codes  # type: ignore[attr-defined]
    painter.stylizer.style_codes = lambda *a: calls.append(1) or style_codes(*a)  # type: ignore[attr-defined]
    try:
        batch = [i for _, i in stylize_frames(frames[:4], painter, ClipParams(temporal=0, batch=2))]
    finally:
        del painter.stylizer.style_codes  # type: ignore[attr-defined]
    assert calls == [1]  # two batches, one reading of the painting
    for one, other in zip(alone, batch, strict=True):
        # A batch of frames through the network rounds a little differently from one frame.
        assert np.abs(np.asarray(one, np.int16) - np.asarray(other, np.int16)).max() <= 3


def test_steadying_lowers_the_flicker_score(engine, frames, frame_by_frame):
    originals = [f.image for f in frames]
    plain = warping_error(originals, frame_by_frame)
    steady = warping_error(originals, painted(engine, frames, "feedforward", ClipParams.temporal))
    # The goal, met at 480p on the three test clips (docs/video.md): at most 0.6.
    assert steady.error < 0.6 * plain.error


def test_gatys_is_refused_in_words(engine, clip_file, tmp_path):
    with pytest.raises(ValueError, match="one-pass method"):
        stylize_clip(engine, clip_file, tmp_path / "out.mp4", [], params("gatys"))
    assert not list(tmp_path.iterdir())


def test_a_clip_is_stylized_into_a_file_with_progress_per_frame(engine, clip_file, tmp_path):
    seen: list[ClipProgress] = []
    out = tmp_path / "out.mp4"
    result = stylize_clip(
        engine, clip_file, out, [], params("feedforward"), ClipParams(batch=3), progress=seen.append
    )
    assert result.frames == FRAMES and [p.frame for p in seen] == list(range(1, FRAMES + 1))
    assert seen[-1].total_frames == FRAMES and seen[-1].fraction == 1
    with open_clip(out) as reader:
        assert reader.info.fps == 12 and reader.info.frames == FRAMES
        assert (reader.info.width, reader.info.height) == (SIZE, SIZE * 3 // 4)


def test_a_cancelled_clip_leaves_no_file(engine, clip_file, tmp_path):
    def cancel_at_the_fourth(p: ClipProgress) -> None:
        if p.frame == 4:
            raise Cancelled

    with pytest.raises(Cancelled):
        stylize_clip(
            engine, clip_file, tmp_path / "out.mp4", [], params("feedforward"),
            progress=cancel_at_the_fourth,
        )  # fmt: skip
    assert not list(tmp_path.iterdir())


def test_a_bad_clip_is_a_clip_error(engine, tmp_path):
    (tmp_path / "bad.mp4").write_bytes(b"not a clip" * 50)
    with pytest.raises(ClipError):
        stylize_clip(engine, tmp_path / "bad.mp4", tmp_path / "out.mp4", [], params("feedforward"))
    assert [p.name for p in tmp_path.iterdir()] == ["bad.mp4"]


def test_the_cli_stylizes_a_clip_and_a_gif_stays_a_gif(clip_file, frames, tmp_path):
    out = tmp_path / "out.mp4"
    run = stylize(clip_file, "--preset", PRESET, "-o", out, "--size", SIZE, "--quiet")
    assert run.returncode == 0, run.stderr
    with open_clip(out) as reader:
        assert reader.info.frames == FRAMES and reader.info.kind == "mp4"
    gif = tmp_path / "in.gif"
    with ClipWriter(gif, "gif", Fraction(12)) as writer:
        for f in frames[:4]:
            writer.write(f.image, 0.1)
    run = stylize(gif, "--preset", PRESET, "-o", tmp_path / "painted", "--size", SIZE,
                  "--method", "adain", "--temporal", "0.3", "--quiet")  # fmt: skip
    assert run.returncode == 0, run.stderr
    with open_clip(tmp_path / "painted") as reader:
        assert reader.info.kind == "gif"
        assert [round(f.duration, 2) for f in reader.frames()] == [0.1] * 4


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("-o", "out.png"), "a clip is written as .mp4"),
        (("-o", "out.mp4", "--method", "gatys"), "one-pass method"),
        (("-o", "out.mp4", "--temporal", "1.5"), "temporal must be between 0 and 1"),
    ],
)
def test_the_cli_refuses_a_clip_job_it_cannot_do_in_one_line(clip_file, tmp_path, args, words):
    args = tuple(str(tmp_path / a) if a.startswith("out.") else a for a in args)
    run = stylize(clip_file, "--preset", PRESET, *args, "--size", SIZE, "--quiet")
    assert run.returncode == 1 and words in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())


class _Inverting:
    """A one-pass stand-in that paints a frame by inverting it: cheap, so the clip can be long."""

    def stylize(self, content, styles, params, progress=None):
        from PIL import ImageOps

        from core.stylizer import StyleResult

        return StyleResult(ImageOps.invert(content.resize((SIZE, SIZE * 3 // 4))), 1, 0.0)


class _Engine:
    def one_pass(self, params):
        return _Inverting()


def test_a_long_clip_is_streamed_with_a_few_frames_held_at_a_time(tmp_path, monkeypatch):
    """Decoded frames are let go once painted and written: however long the clip, only about
    a batch of them is alive at once (counted by finalizers; CPython frees them as the last
    reference goes)."""
    import weakref

    from core.clips.video import ClipReader

    length = 160
    source = tmp_path / "long.mp4"
    with ClipWriter(source, "mp4", Fraction(24)) as writer:
        for image in camera_frames(Image.open(EXAMPLES / "heldout" / "lemurs.jpg"), (64, 48),
                                   length):  # fmt: skip
            writer.write(image)
    alive = [0]  # decoded frames not yet freed (PIL images are unhashable: no WeakSet)
    decode = ClipReader._image

    def freed() -> None:
        alive[0] -= 1

    def counted(frame):
        image = decode(frame)
        alive[0] += 1
        weakref.finalize(image, freed)
        return image

    monkeypatch.setattr(ClipReader, "_image", staticmethod(counted))
    most = [0]

    def on_frame(p: ClipProgress) -> None:
        most[0] = max(most[0], alive[0])

    clip = ClipParams(batch=4)
    result = stylize_clip(_Engine(), source, tmp_path / "out.mp4", [], params("feedforward"),
                          clip, progress=on_frame)  # fmt: skip
    assert result.frames == length
    assert most[0] <= 2 * clip.batch, most[0]  # a batch being painted, and the next decoded

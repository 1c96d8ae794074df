"""core/clips/flicker.py: the warping error rates flicker as bad and steady clips as steady."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from core.clips.flicker import warping_error
from core.clips.flow import FlowEstimator, to_gray
from scripts.make_clips import camera_frames
from tests.conftest import EXAMPLES

SIZE, FRAMES = (96, 72), 10


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    return Image.open(EXAMPLES / "heldout" / "canyon_de_chelly.jpg").convert("RGB")


@pytest.fixture(scope="module")
def clip(photo) -> list[Image.Image]:
    """A camera pan with a drawn disc moving slowly against it (classical flow loses a
    small plain disc that jumps several pixels a frame: ~1/40 of the noise score at 5 px)."""
    return list(camera_frames(photo, SIZE, FRAMES, travel=0.1))


def noise(n: int, seed: int = 0) -> list[Image.Image]:
    rng = np.random.default_rng(seed)
    return [
        Image.fromarray(rng.integers(0, 256, (SIZE[1], SIZE[0], 3), np.uint8)) for _ in range(n)
    ]


def test_independent_random_frames_rate_clearly_bad(clip):
    bad = warping_error(clip, noise(len(clip)))
    assert bad.error > 0.1  # uniform noise: 2 var = 2/12 per channel in the limit
    assert bad.pairs == len(clip) - 1


def test_the_untouched_clip_rates_near_zero(clip):
    same = warping_error(clip, clip)
    assert same.error < 0.01 * warping_error(clip, noise(len(clip))).error
    assert 0.7 < same.trusted < 1  # the pan brings in new pixels: those are left out


def test_a_known_pan_stays_near_zero(photo):
    # Whole-pixel shifts of a crop: the flow must find them, and occlusion masking must
    # leave out the strip that each shift brings in.
    big = photo.resize((240, 180))
    pan = [big.crop((20 + 3 * i, 30 + i, 20 + 3 * i + SIZE[0], 30 + i + SIZE[1])) for i in range(8)]
    assert warping_error(pan, pan).error < 1e-3
    # The same frames in the wrong order are not steady: the score follows the motion.
    shuffled = [pan[i] for i in (0, 5, 2, 7, 1, 6, 3, 4)]
    assert warping_error(pan, shuffled).error > 10 * warping_error(pan, pan).error


def test_flicker_laid_over_a_steady_clip_is_measured(clip):
    rng = np.random.default_rng(1)
    grain = [
        Image.fromarray(
            np.clip(
                np.asarray(f, np.int16) + rng.integers(-25, 26, (SIZE[1], SIZE[0], 3)), 0, 255
            ).astype(np.uint8)
        )
        for f in clip
    ]
    steady, flickering = warping_error(clip, clip), warping_error(clip, grain)
    assert flickering.error > 3 * steady.error


@pytest.mark.parametrize("method", ["dis", "farneback"])
def test_the_flow_finds_a_known_shift(photo, method):
    big = np.asarray(photo.resize((240, 180)))
    previous, current = big[40:112, 40:136], big[40:112, 44:140]  # content moves 4 px left
    pair = FlowEstimator(method).pair(to_gray(previous), to_gray(current))
    inner = pair.flow[8:-8, 8:-8]
    assert np.median(inner[..., 0]) == pytest.approx(4, abs=0.3)  # pixel x of t was x+4 in t-1
    assert np.median(inner[..., 1]) == pytest.approx(0, abs=0.3)
    # The strip that came in from the right edge is left out (Farneback's flow fades
    # towards the border, so not every pixel of it).
    assert pair.valid[:, -4:].mean() < 0.5
    assert pair.valid[8:-8, 8:-8].mean() > 0.9

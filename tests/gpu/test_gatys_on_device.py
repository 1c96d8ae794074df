"""Gatys on the device: both precisions, both memory layouts, and batches of jobs."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

import numpy as np
import pytest
import torch
from PIL import Image

from benchmarks.batching import same_shape_photos
from core.devices import default_autocast
from core.metrics import distances
from core.params import StyleParams
from core.stylizer import BatchItem
from tests.gpu.conftest import stylizer_on

pytestmark = pytest.mark.gpu

PRECISIONS = {"fp32": None, "bf16": torch.bfloat16}


def pixels(img: Image.Image) -> np.ndarray:
    return np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0


@contextlib.contextmanager
def exact_fp32() -> Iterator[None]:
    """TF32 off: layouts pick different kernels, and TF32's rounding would differ with them."""
    matmul = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = False
    try:
        with torch.backends.cudnn.flags(enabled=True, allow_tf32=False):
            yield
    finally:
        torch.backends.cuda.matmul.allow_tf32 = matmul


@pytest.fixture(scope="module")
def by_precision(vgg, device, scale, photo, painting) -> dict[str, dict]:
    """The same job in fp32 and in bf16 autocast: its result and its distances."""
    params = StyleParams(size=scale.side, steps=scale.precision_steps)
    runs = {}
    for name, dtype in PRECISIONS.items():
        result = stylizer_on(vgg, device, dtype).stylize(photo, [painting], params)
        runs[name] = {"result": result, "distances": distances(result.image, photo, painting, vgg)}
    return runs


@pytest.mark.parametrize("precision", PRECISIONS)
def test_gatys_stylizes_on_the_device(by_precision, precision, scale, vgg, photo, painting):
    run = by_precision[precision]
    image = run["result"].image
    assert max(image.size) == scale.side
    assert all(math.isfinite(v) for v in run["result"].losses.values()), run["result"].losses
    assert all(math.isfinite(v) for v in run["distances"].values()), run["distances"]
    unchanged = distances(photo.resize(image.size), photo, painting, vgg)
    assert run["distances"]["style"] < unchanged["style"]  # it moved towards the painting


def test_bf16_reaches_the_distances_of_fp32(by_precision, scale):
    fp32, bf16 = by_precision["fp32"]["distances"], by_precision["bf16"]["distances"]
    for key in ("content", "style"):
        assert bf16[key] == pytest.approx(fp32[key], rel=scale.precision_rel), (fp32, bf16)


def test_channels_last_gives_the_same_image(vgg, device, scale, photo, painting):
    params = StyleParams(quality="fast", size=scale.side, steps=scale.steps, early_stop=0.0)
    stylizers = [stylizer_on(vgg, device, None, channels_last=cl) for cl in (False, True)]
    with exact_fp32():
        default, channels_last = (s.stylize(photo, [painting], params).image for s in stylizers)
    moved = np.abs(pixels(default) - pixels(photo.resize(default.size))).mean()
    diff = np.abs(pixels(default) - pixels(channels_last)).mean()
    assert diff < scale.layout_pixels, f"layouts differ by {diff:.4f} (the job moved {moved:.4f})"


def test_a_batch_equals_its_jobs_one_by_one(vgg, device, scale, painting):
    """The optimiser sees the batch's summed loss, so the paths differ a little; the
    distances each job reaches must not (tolerances as in tests/core/test_speedups.py)."""
    stylizer = stylizer_on(vgg, device, default_autocast(device))
    photos = same_shape_photos(3)
    # A light style weight: at the smoke run's size the default's strokes would leave too
    # little of each photo to tell it from the others by content distance.
    params = StyleParams(
        quality="fast", size=scale.side, steps=scale.batch_steps, early_stop=0, style_weight=5.0
    )
    alone = [stylizer.stylize(p, [painting], params) for p in photos]
    batch = stylizer.stylize_batch([BatchItem(p, (painting,)) for p in photos], params)
    for i, (single, batched) in enumerate(zip(alone, batch, strict=True)):
        assert batched is not None and batched.image.size == single.image.size
        mine = distances(batched.image, photos[i], painting, vgg)
        theirs = distances(single.image, photos[i], painting, vgg)
        assert mine["style"] == pytest.approx(theirs["style"], rel=0.15)
        assert mine["content"] == pytest.approx(theirs["content"], rel=0.25, abs=0.02)
        # and each output is its own photo's, not another job's
        other = photos[(i + 1) % len(photos)]
        assert mine["content"] < distances(batched.image, other, painting, vgg)["content"]

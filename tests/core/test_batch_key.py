"""GatysStylizer.batch_key: a batch runs under one job's settings, so only jobs whose settings
are all equal may share one."""

from __future__ import annotations

from dataclasses import fields, replace

import pytest
from PIL import Image

from core.gatys import GatysStylizer
from core.params import StyleParams

BASE = StyleParams(size=64, steps=4)
PHOTO = Image.new("RGB", (96, 64), (10, 20, 30))

# One changed value per setting. Every field of StyleParams is listed here or in SHARED.
CHANGED: dict[str, object] = {
    "method": "feedforward",
    "quality": "fast",
    "size": 96,
    "steps": 5,
    "content_weight": 1.5,
    "style_weight": 5.5,
    "tv_weight": 2.5,
    "strength": 1.1,
    "style_blend": (0.3, 0.7),
    "style_scale": 0.5,
    "preserve_color": "luminance",
    "optimizer": "adam",
    "learning_rate": 0.5,
    "init": "noise",
    "style_statistic": "w2",
    "content_layers": ("relu3_2",),
    "style_layers": ("relu1_1", "relu2_1"),
    "style_layer_weights": (1.0, 1.0, 1.0, 1.0, 2.0),
    "seed": 1,
    "preview_every": 5,
    "early_stop": 0.0,
}
# Settings each job of a batch brings itself: the preset is only where its painting came from.
SHARED = {"preset": "starry_night"}


def key(params: StyleParams, photo: Image.Image = PHOTO):
    return GatysStylizer.batch_key(photo, params)


def test_every_setting_is_covered():
    assert {f.name for f in fields(StyleParams)} == CHANGED.keys() | SHARED.keys()


def test_identical_jobs_share_a_key():
    assert key(BASE) is not None
    assert key(BASE) == key(StyleParams(size=64, steps=4))
    assert len({key(BASE), key(StyleParams(size=64, steps=4))}) == 1  # the worker hashes keys
    other_photo = Image.new("RGB", (96, 64), (200, 100, 0))  # same shape, other pixels
    assert key(BASE, other_photo) == key(BASE)


@pytest.mark.parametrize("name", sorted(CHANGED))
def test_a_job_differing_in_one_setting_never_shares_a_key(name):
    changed = replace(BASE, **{name: CHANGED[name]})
    assert getattr(changed, name) != getattr(BASE, name)
    assert key(changed) != key(BASE)


def test_blend_weights_in_another_order_are_another_job():
    assert key(replace(BASE, style_blend=(0.3, 0.7))) != key(replace(BASE, style_blend=(0.7, 0.3)))


def test_another_output_shape_is_another_batch():
    assert key(BASE, Image.new("RGB", (64, 96))) != key(BASE)


def test_the_painting_source_does_not_split_a_batch():
    assert key(replace(BASE, **SHARED)) == key(BASE)


def test_jobs_that_start_from_their_own_image_run_alone():
    assert key(replace(BASE, init="image")) is None
    assert key(replace(BASE, init="preview", preset="starry_night")) is None
    assert key(replace(BASE, method="transformer")) is None

import math

import pytest

from core.params import QUALITY_PRESETS, StyleParams


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("size", 10, "size must be between"),
        ("steps", 0, "steps must be between"),
        ("style_weight", math.nan, "style_weight must be a finite number"),
        ("content_weight", -1.0, "content_weight must be between"),
        ("strength", math.inf, "strength must be a finite number"),
        ("quality", "ultra", "quality must be one of"),
        ("method", "magic", "method must be one of"),
        ("preserve_color", "sepia", "preserve_color must be one of"),
        ("style_blend", (), "style_blend needs at least one weight"),
        ("style_blend", (0.0, 0.0), "must not all be zero"),
    ],
)
def test_bad_values_name_the_field(field, value, message):
    with pytest.raises(ValueError, match=message):
        StyleParams(**{field: value})


def test_schedule_follows_quality_preset():
    params = StyleParams(quality="balanced")
    preset = QUALITY_PRESETS["balanced"]
    assert params.schedule()[-1][0] == preset.size
    assert params.total_steps == preset.total_steps
    sides = [side for side, _ in params.schedule()]
    assert sides == sorted(sides)


def test_explicit_steps_are_shared_between_scales():
    params = StyleParams(quality="best", steps=100, size=600)
    assert params.total_steps == 100
    assert params.schedule()[-1][0] == 600


def test_tiny_outputs_use_one_scale():
    assert StyleParams(size=64, steps=5).schedule() == [(64, 5)]

"""core.options: which method reads which option, and the refusal that names both."""

from __future__ import annotations

import pytest

from core.options import APPLIES_TO, NotApplicable, applies, applies_note, check_options
from core.params import METHODS, ONE_PASS_METHODS, ClipParams, StyleParams


def test_gatys_reads_every_option_but_the_clip_one():
    # Clips are painted by the one-pass methods only: Gatys takes a minute or more a frame.
    assert [o for o in APPLIES_TO if not applies(o, "gatys")] == ["temporal"]
    assert APPLIES_TO["temporal"] == ONE_PASS_METHODS
    check_options("gatys", set(APPLIES_TO) - {"temporal"})
    with pytest.raises(NotApplicable, match="temporal: does not apply to method gatys"):
        check_options("gatys", ["temporal"])


@pytest.mark.parametrize("method", ["feedforward", "gan", "transformer"])
def test_trained_models_take_no_loss_weights_steps_or_seed(method):
    for option in ("content_weight", "style_weight", "tv_weight", "steps", "seed", "init"):
        assert not applies(option, method), option
    for option in ("size", "quality", "strength", "preserve_color", "format"):
        assert applies(option, method), option


def test_only_the_any_painting_models_of_the_trained_ones_blend_paintings():
    assert [m for m in METHODS if applies("style_blend", m)] == ["gatys", "adain", "transformer"]


def test_the_refusal_names_each_ignored_option_and_the_method():
    with pytest.raises(NotApplicable) as caught:
        check_options("feedforward", ["size", "seed", "steps", "strength"])
    message = str(caught.value)
    assert "steps: does not apply to method feedforward" in message
    assert "seed: does not apply to method feedforward" in message
    assert "size" not in message and "strength" not in message
    assert isinstance(caught.value, ValueError)  # callers map it to their own 4xx


def test_options_that_apply_pass():
    check_options("gan", ["size", "quality", "strength", "preserve_color", "format"])
    check_options("transformer", ["style_blend", "size"])


def test_every_option_is_a_job_or_clip_setting_or_the_output_format():
    settings = set(StyleParams.__dataclass_fields__) | set(ClipParams.__dataclass_fields__)
    assert set(APPLIES_TO) - settings == {"format"}


def test_notes_for_the_docs():
    assert applies_note("size") == "Applies to every method."
    assert applies_note("steps") == "Applies to gatys only."
    assert applies_note("style_blend") == "Applies to gatys, adain and transformer only."

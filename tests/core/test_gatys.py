"""The optimisation on tiny seeded CPU inputs: a few steps each, real VGG19 weights."""

import pytest
import torch

from core.colour import rgb_to_yiq
from core.gatys import GatysStylizer, image_to_tensor, resize_tensor
from core.params import StyleParams
from core.stylizer import Cancelled
from tests.conftest import make_photo

TINY = {"size": 64, "steps": 6, "quality": "fast"}


@pytest.fixture(scope="module")
def stylizer(vgg):
    return GatysStylizer(vgg, "cpu")


@pytest.fixture(scope="module")
def content():
    return make_photo(96, 64, seed=1)


@pytest.fixture(scope="module")
def style(painting):
    return painting.resize((80, 64))


def test_output_size_follows_long_side_and_aspect(stylizer, content, style):
    result = stylizer.stylize(content, [style], StyleParams(**TINY))
    assert result.image.size == (64, 43)
    assert result.steps == 6


def test_progress_reports_every_step_with_previews(stylizer, content, style):
    seen = []
    params = StyleParams(**TINY, preview_every=3)
    stylizer.stylize(content, [style], params, progress=seen.append)
    assert [p.step for p in seen] == list(range(1, 7))
    assert all(p.total_steps == 6 for p in seen)
    assert [p.preview is not None for p in seen] == [False, False, True, False, False, True]
    assert {"content", "style", "tv", "total"} <= seen[-1].losses.keys()


def test_cancel_stops_within_one_step(stylizer, content, style):
    steps = []

    def cancel_at_two(p):
        steps.append(p.step)
        if p.step == 2:
            raise Cancelled

    with pytest.raises(Cancelled):
        stylizer.stylize(content, [style], StyleParams(**TINY), progress=cancel_at_two)
    assert steps == [1, 2]


def test_loss_decreases(stylizer, content, style):
    seen = []
    stylizer.stylize(content, [style], StyleParams(size=64, steps=12, quality="fast"), seen.append)
    assert seen[-1].losses["total"] < 0.7 * seen[1].losses["total"]


def test_style_targets_cached_per_image_and_size(vgg, content, style):
    stylizer = GatysStylizer(vgg, "cpu")
    stylizer.stylize(content, [style], StyleParams(**TINY))
    cached = len(stylizer._style_cache)
    stylizer.stylize(content, [style], StyleParams(**TINY, strength=2))
    assert len(stylizer._style_cache) == cached > 0


def test_multiple_styles_blend(stylizer, content, style):
    other = make_photo(64, 64, seed=5)
    result = stylizer.stylize(content, [style, other], StyleParams(**TINY, style_blend=(0.7, 0.3)))
    assert result.image.size == (64, 43)
    with pytest.raises(ValueError, match="style_blend has 1 weights for 2 style images"):
        stylizer.stylize(content, [style, other], StyleParams(**TINY, style_blend=(1.0,)))


def test_no_style_is_an_error(stylizer, content):
    with pytest.raises(ValueError, match="at least one style image"):
        stylizer.stylize(content, [], StyleParams(**TINY))


def test_luminance_mode_keeps_the_photos_chroma(stylizer, content, style):
    result = stylizer.stylize(content, [style], StyleParams(**TINY, preserve_color="luminance"))
    out = rgb_to_yiq(image_to_tensor(result.image))
    ref = rgb_to_yiq(resize_tensor(image_to_tensor(content), 64).clamp(0, 1))
    # Chroma (I, Q) is the photo's, up to 8-bit rounding and gamut clipping.
    assert (out[:, 1:] - ref[:, 1:]).abs().mean() < 0.02
    plain = stylizer.stylize(content, [style], StyleParams(**TINY))
    plain_iq = rgb_to_yiq(image_to_tensor(plain.image))[:, 1:]
    assert (plain_iq - ref[:, 1:]).abs().mean() > (out[:, 1:] - ref[:, 1:]).abs().mean()


def test_w2_statistic_is_the_one_optimised(stylizer, content, style):
    # The effects of the other options are checked in test_option_effects.py.
    runs = {}
    for statistic in ("gram", "w2"):
        seen = []
        params = StyleParams(**TINY, style_statistic=statistic, early_stop=0.0)
        image = stylizer.stylize(content, [style], params, seen.append).image
        runs[statistic] = (image, [p.losses["style"] for p in seen])
    (gram_image, gram_loss), (w2_image, w2_loss) = runs["gram"], runs["w2"]
    assert w2_loss[-1] < 0.9 * w2_loss[0]  # the w2 distance falls as the run goes on
    assert w2_loss[0] != pytest.approx(gram_loss[0], rel=0.05)  # another measure of style
    assert gram_image.tobytes() != w2_image.tobytes()  # and another path


def test_style_image_keeps_its_aspect_ratio():
    tall = torch.rand(1, 3, 200, 50)
    assert resize_tensor(tall, 100).shape[-2:] == (100, 25)

"""The shipped adain and transformer on paintings they never saw: more than a colour filter.

Held-out paintings (examples/heldout_styles/, never trained on) and a held-out photo, at a
small size so that the suite stays quick; the baselines are computed here: the colour
transfer (the photo in the painting's colour mean and covariance, no network) and the other
painting. docs/models.md has the same checks at 512 px on the whole held-out grid.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from core.colour import rgb_to_yiq
from core.engine import SHIPPED_CHECKPOINTS, Engine
from core.gatys import GatysStylizer, image_to_tensor
from core.metrics import colour_transfer, distances
from core.models.cascade import LevelSetting
from core.params import StyleParams
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.slow

SIZE = 256
HELDOUT = EXAMPLES / "heldout_styles"
ABSTRACT = HELDOUT / "kandinsky_composition_viii.jpg"
WAVE = HELDOUT / "hokusai_great_wave.jpg"
DARK_LINES = HELDOUT / "gnome_truchet_dark.jpg"  # light lines on a dark ground
INK = HELDOUT / "leonardo_vitruvian_man.jpg"  # dark lines on light paper
METHODS = ("adain", "transformer")
# Goals the shipped networks do not reach yet (adain 3,800 steps, the transformer 600 more,
# with the relu1_1 pass; docs/models.md, "Any painting"): strict, so that a better network
# turns them into passes.
NOT_YET = pytest.mark.xfail(
    strict=True, reason="not reached after 3,800 steps on this CPU (docs/models.md, Any painting)"
)


@pytest.fixture(scope="module")
def engine(vgg) -> Engine:
    engine = Engine(GatysStylizer(vgg, "cpu"))
    for method in METHODS:
        engine.add_checkpoint(SHIPPED_CHECKPOINTS / f"{method}.pt")
    for decoder in sorted(SHIPPED_CHECKPOINTS.glob("inverter_*.pt")):
        engine.add_checkpoint(decoder)  # the coarse-to-fine passes, as served
    return engine


@pytest.fixture(scope="module")
def photo() -> Image.Image:
    image = Image.open(EXAMPLES / "heldout" / "gateway_of_india.jpg").convert("RGB")
    image.thumbnail((SIZE, SIZE), Image.Resampling.LANCZOS)
    return image


def _open(path) -> Image.Image:
    return Image.open(path).convert("RGB")


def _luma(image: Image.Image) -> float:
    return float(rgb_to_yiq(image_to_tensor(image))[:, 0].mean())


def _run(engine, method, photo, painting, **params) -> Image.Image:
    return engine.stylize(photo, [painting], StyleParams(method=method, size=SIZE, **params)).image


@pytest.mark.parametrize("method", METHODS)
def test_each_output_follows_its_own_painting(engine, vgg, photo, method):
    """The output made for a painting is nearer it than the output made for the other one
    (a network that ignores the painting it is given fails)."""
    paintings = {"abstract": _open(ABSTRACT), "wave": _open(WAVE)}
    outputs = {name: _run(engine, method, photo, p) for name, p in paintings.items()}
    for name, painting in paintings.items():
        other = "wave" if name == "abstract" else "abstract"
        own = distances(outputs[name], photo, painting, vgg)["style"]
        assert own < 0.9 * distances(outputs[other], photo, painting, vgg)["style"], name


@pytest.mark.parametrize("method", METHODS)
def test_each_output_beats_the_colour_transfer_by_a_clear_margin(engine, vgg, photo, method):
    for painting in (_open(ABSTRACT), _open(WAVE)):
        own = distances(_run(engine, method, photo, painting), photo, painting, vgg)["style"]
        recoloured = distances(colour_transfer(photo, painting), photo, painting, vgg)["style"]
        assert own < 0.8 * recoloured, own / recoloured


@NOT_YET
@pytest.mark.parametrize("method", METHODS)
def test_light_lines_on_a_dark_ground_come_out_dark(engine, photo, method):
    out = _run(engine, method, photo, _open(DARK_LINES))
    assert _luma(out) < 0.6 * _luma(photo) and _luma(out) < 0.3


def _strength_scores(engine, vgg, photo, method) -> dict[float, dict[str, float]]:
    painting = _open(ABSTRACT)
    runs = {s: _run(engine, method, photo, painting, strength=s) for s in (0.0, 0.5, 1.0, 1.5)}
    return {s: distances(out, photo, painting, vgg) for s, out in runs.items()}


@NOT_YET
@pytest.mark.parametrize("method", METHODS)
def test_strength_zero_gives_the_photo_back(engine, vgg, photo, method):
    scores = _strength_scores(engine, vgg, photo, method)
    # strength 0: the photo's own features decoded, close to the photo
    assert scores[0.0]["content"] < 0.35 * scores[1.0]["content"]


@pytest.mark.parametrize("method", METHODS)
def test_more_strength_moves_towards_the_painting(engine, vgg, photo, method):
    painting = _open(ABSTRACT)
    scores = _strength_scores(engine, vgg, photo, method)
    assert scores[0.0]["content"] < scores[0.5]["content"] < scores[1.0]["content"]
    styles = [scores[s]["style"] for s in (0.0, 0.5, 1.0, 1.5)]
    assert styles[:3] == sorted(styles[:3], reverse=True), styles  # nearer the painting
    assert styles[3] < styles[1], styles  # beyond 1 it does not fall back to the photo
    untouched = distances(photo, photo, painting, vgg)["style"]
    assert styles[0] > 0.9 * untouched  # at 0 the painting is not there


@pytest.mark.parametrize("method", METHODS)
def test_keeping_the_colours_keeps_the_photos_palette(engine, photo, method):
    painting = _open(WAVE)
    plain = np.asarray(_run(engine, method, photo, painting), dtype=np.float32)
    kept = np.asarray(
        _run(engine, method, photo, painting, preserve_color="histogram"), dtype=np.float32
    )
    target = np.asarray(photo, dtype=np.float32).reshape(-1, 3).mean(0)
    error_kept = np.abs(kept.reshape(-1, 3).mean(0) - target).sum()
    error_plain = np.abs(plain.reshape(-1, 3).mean(0) - target).sum()
    assert error_kept < 0.5 * error_plain


def _dark_lines(image: Image.Image) -> tuple[float, float, float]:
    """The luma's median (the paper), the share of pixels well below it (the ink), and how
    much of that ink survives an erosion by 5x5 (thin lines vanish, blots stay)."""
    luma = rgb_to_yiq(image_to_tensor(image))[:, :1]
    paper = float(luma.median())
    ink = (luma < paper - 0.25).float()
    blots = -torch.nn.functional.max_pool2d(-ink, 5, 1, 2)
    return paper, float(ink.mean()), float(blots.sum() / ink.sum().clamp_min(1))


@pytest.mark.parametrize("method", METHODS)
def test_the_ink_drawing_comes_out_as_dark_lines_on_light_paper(engine, photo, method):
    painting = _open(INK)
    paper, ink, blots = _dark_lines(_run(engine, method, photo, painting))
    assert paper > 0.8 and ink > 0.02 and blots < 0.3, (paper, ink, blots)
    # The colour transfer lightens the photo as the paper is light, but draws no line.
    _, ink_ct, _ = _dark_lines(colour_transfer(photo, painting))
    assert ink_ct < 0.01


def test_a_level_at_strength_zero_is_left_as_the_level_above_made_it(engine, photo):
    painting = _open(WAVE)
    settings = dict(engine.cascade.settings)
    try:
        full = _run(engine, "adain", photo, painting)
        engine.cascade.settings = {**settings, "relu1_1": LevelSetting("wct", 0.0)}
        without_fine = _run(engine, "adain", photo, painting)
        engine.cascade.settings = {k: v for k, v in settings.items() if k != "relu1_1"}
        skipped = _run(engine, "adain", photo, painting)
    finally:
        engine.cascade.settings = settings
    assert np.array_equal(np.asarray(without_fine), np.asarray(skipped))
    assert np.abs(np.asarray(full, np.float32) - np.asarray(without_fine, np.float32)).mean() > 1

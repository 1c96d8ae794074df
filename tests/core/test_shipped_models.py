"""The checkpoints shipped in core/checkpoints/: coverage, loading, and real stylization."""

from __future__ import annotations

from functools import cache
from itertools import permutations

import pytest
from PIL import Image, ImageOps, ImageStat

from core.engine import SHIPPED_CHECKPOINTS, Engine
from core.gatys import GatysStylizer
from core.metrics import colour_transfer, distances
from core.models.checkpoint import index, load
from core.params import StyleParams
from core.presets import PRESETS, get_preset
from tests.conftest import EXAMPLES
from tests.core.test_cli import stylize

SHIPPED = sorted(SHIPPED_CHECKPOINTS.glob("*.pt"))
PHOTO = EXAMPLES / "content" / "tubingen.jpg"


def test_the_per_style_families_are_shipped_for_enough_presets():
    served = index(SHIPPED)
    assert served.get("feedforward") == sorted(p.id for p in PRESETS)  # every preset
    assert len(served.get("gan", [])) >= 4
    assert served.get("transformer") == sorted(p.id for p in PRESETS)  # one network, all
    for styles in served.values():
        for style in styles:
            get_preset(style)  # a shipped model is named by the preset it learnt


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_a_shipped_checkpoint_is_small_and_says_how_it_was_trained(path):
    checkpoint = load(path)
    assert path.stat().st_size < 8 * 2**20
    record = checkpoint.record
    assert record["iterations"] > 0 and record["photos"]["count"] > 0
    assert record["style_files"] or record["paintings"]["count"] > 0  # files or a folder
    assert record["train_seconds"] > 0
    assert all(v.dtype.is_floating_point for v in checkpoint.state.values())


@pytest.fixture(scope="module")
def engine(vgg):
    shipped = Engine(GatysStylizer(vgg, "cpu"))
    for path in SHIPPED:
        shipped.add_checkpoint(path)
    return shipped


def _cases() -> list[tuple[str, str]]:
    return [(m, s) for m, styles in index(SHIPPED).items() for s in styles]


# Photos no model trained on (examples/heldout/), two per check to keep the suite quick;
# benchmarks/trained_quality.py scores every held-out photo at 512 px.
HELD_OUT = [EXAMPLES / "heldout" / n for n in ("gateway_of_india.jpg", "lemurs.jpg")]
SIZE = 256
# The networks paint strokes sized for a 512 px picture (the service's default size; their
# training crops see a painting at the scale of a 512 px canvas): scored at that size.
SCORED_SIZE = 512
# Per family, the mean over HELD_OUT of each ratio, measured on the shipped checkpoints at
# SCORED_SIZE (docs/models.md gives them on every held-out photo); each bound sits a
# little above the worst preset's mean and clearly below what the trivial answers score
# (the photo itself: 1.0 of its own; the photo in the painting's colours: 1.0 of its own).
BOUNDS = {
    # style / photo's, style / colour transfer's, content / unrelated photo's
    "feedforward": (0.65, 0.8, 0.5),  # worst means: 0.58 (malevich), 0.71 (zigzags), 0.46
    "gan": (0.65, 0.8, 0.5),  # 0.57 (malevich), 0.74 (dress), 0.48 (starry_night)
    # The any-painting networks on the presets: nearer the painting than a colour filter, but
    # short of the preset-trained transformer they replaced (0.58, 0.74, 0.46: docs/models.md).
    # Style bounds as measured before the relu1_1 pass (which lowered starry_night's to 0.56
    # and 0.77); its content ratio rose from 0.48 to 0.54 with it, the worst preset's now.
    "adain": (0.8, 0.92, 0.58),  # 0.76 (malevich), 0.87 (starry_night), 0.54 (starry_night)
    "transformer": (0.87, 0.97, 0.58),  # 0.83 (malevich), 0.93 (starry_night), 0.54
}


def _open(path) -> Image.Image:
    return Image.open(path).convert("RGB")


@cache
def _baselines(style: str, photo_index: int, vgg) -> tuple[float, float, float]:
    """The trivial answers' scores for one painting and held-out photo at SCORED_SIZE, shared
    by every family: the photo's style distance, its colour transfer's, and the content
    distance of the other held-out photo."""
    painting = _open(get_preset(style).path)
    photo = _scored_photo(photo_index)
    unrelated = ImageOps.fit(_open(HELD_OUT[1 - photo_index]), photo.size)
    untouched = distances(photo, photo, painting, vgg)["style"]
    recoloured = distances(colour_transfer(photo, painting), photo, painting, vgg)["style"]
    return untouched, recoloured, distances(unrelated, photo, painting, vgg)["content"]


def _scored_photo(photo_index: int) -> Image.Image:
    photo = _open(HELD_OUT[photo_index])
    photo.thumbnail((SCORED_SIZE, SCORED_SIZE), Image.Resampling.LANCZOS)
    return photo


@pytest.mark.parametrize(("method", "style"), _cases())
def test_a_shipped_model_paints_more_than_a_colour_filter(engine, vgg, method, style):
    painting = _open(get_preset(style).path)
    ratios = []
    for i in range(len(HELD_OUT)):
        photo = _scored_photo(i)
        params = StyleParams(method=method, preset=style, size=SCORED_SIZE)
        result = engine.stylize(photo, [painting], params).image
        assert result.size == photo.size
        ours = distances(result, photo, painting, vgg)
        untouched, recoloured, other = _baselines(style, i, vgg)
        ratios.append((ours["style"] / untouched, ours["style"] / recoloured,
                       ours["content"] / other))  # fmt: skip
    by_photo, by_colour, by_other = (sum(r) / len(r) for r in zip(*ratios, strict=True))
    bound_photo, bound_colour, bound_other = BOUNDS[method]
    # Nearer the painting than the photo is, and than the photo in the painting's colours
    # is: the network adds texture and strokes, not only colour ...
    assert by_photo < bound_photo and by_colour < bound_colour, ratios
    # ... and still the same photo: far nearer its content than another photo is.
    assert by_other < bound_other, ratios


def test_the_baselines_of_that_check_are_what_they_claim(vgg):
    """The colour transfer does move towards the painting's statistics (so beating it means
    something) and a flat colour keeps nothing of the photo (so the content bound can fail)."""
    photo, painting = _open(HELD_OUT[0]), _open(get_preset("starry_night").path)
    photo.thumbnail((SIZE, SIZE))
    untouched = distances(photo, photo, painting, vgg)
    recoloured = distances(colour_transfer(photo, painting), photo, painting, vgg)
    assert recoloured["style"] < 0.95 * untouched["style"]
    flat = Image.new("RGB", photo.size, tuple(int(v) for v in ImageStat.Stat(painting).mean))
    unrelated = ImageOps.fit(_open(HELD_OUT[1]), photo.size)
    other = distances(unrelated, photo, painting, vgg)["content"]
    assert distances(flat, photo, painting, vgg)["content"] > 0.5 * other


def test_the_transformer_follows_the_painting_it_is_given(engine, vgg):
    """One network, several paintings: each output is nearer the painting it was given than
    the output for another painting is (a network that ignores its style input fails)."""
    photo = _open(HELD_OUT[0])
    styles = index(SHIPPED)["transformer"][:2]
    paintings = {s: _open(get_preset(s).path) for s in styles}
    outputs = {
        s: engine.stylize(photo, [paintings[s]], StyleParams(method="transformer", preset=s,
                                                             size=SCORED_SIZE)).image
        for s in styles
    }  # fmt: skip
    photo = photo.resize(outputs[styles[0]].size)
    for mine, other in permutations(styles):
        painting = paintings[mine]
        own = distances(outputs[mine], photo, painting, vgg)["style"]
        assert own < 0.85 * distances(outputs[other], photo, painting, vgg)["style"]


def test_the_cli_runs_a_shipped_model(tmp_path):
    out = tmp_path / "out.png"
    method, style = _cases()[0]
    run = stylize(PHOTO, "--preset", style, "--method", method, "-o", out, "--size", "96")
    assert run.returncode == 0, run.stderr
    result = Image.open(out).convert("RGB")
    assert max(result.size) == 96
    assert result.tobytes() != Image.open(PHOTO).convert("RGB").resize(result.size).tobytes()


def test_the_cli_names_the_presets_a_model_knows(tmp_path):
    # gan serves every preset: a painting of one's own is what it has not learnt.
    own = EXAMPLES / "styles" / "mona_lisa.jpg"
    run = stylize(PHOTO, own, "--method", "gan", "-o", tmp_path / "o.png", "--size", "64")
    assert run.returncode == 1
    assert "this gan model learnt " in run.stderr and "; got no preset" in run.stderr
    assert all(style in run.stderr for style in index(SHIPPED)["gan"])
    assert "Traceback" not in run.stderr

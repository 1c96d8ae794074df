"""benchmarks/compare.py end to end on a 2 x 2 grid at a tiny size: every method, every output."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from benchmarks import compare
from core.presets import get_preset
from core.training.factory import trainer_for
from core.training.trainer import TrainConfig
from tests.conftest import EXAMPLES, ROOT

CONTENTS = ("chelsea", "tubingen")
STYLES = ("starry_night", "the_scream")
CELL = 48


@pytest.fixture(scope="module")
def transformer_checkpoint(tmp_path_factory) -> Path:
    """A few steps of a tiny transformer, given with --checkpoint: the run covers that option
    (a given checkpoint replaces the shipped one for the paintings it learnt)."""
    folder = tmp_path_factory.mktemp("transformer")
    photos = folder / "photos"
    photos.mkdir()
    for name in CONTENTS:
        shutil.copy(EXAMPLES / "content" / f"{name}.jpg", photos)
    config = TrainConfig(
        method="transformer", content_dir=photos,
        styles=[get_preset(s).path for s in STYLES], out=folder / "transformer.pt",
        size=48, batch=2, iterations=2, device="cpu", model={"dim": 32},
    )  # fmt: skip
    return trainer_for(config).run()


@pytest.fixture(scope="module")
def comparison(tmp_path_factory, transformer_checkpoint):
    out = tmp_path_factory.mktemp("compare")
    run = subprocess.run(
        [
            sys.executable, "benchmarks/compare.py", "--contents", *CONTENTS,
            "--styles", *STYLES, "--size", "48", "--time-sizes", "48", "64", "--repeats", "1",
            "--steps", "4", "--peer-steps", "2", "--cell", str(CELL), "--out", str(out),
            "--checkpoint", str(transformer_checkpoint),
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    return out


def test_every_method_ran_on_every_pair_and_was_scored(comparison):
    result = json.loads((comparison / "comparison.json").read_text())
    assert result["skipped"] == {}
    assert list(result["methods"]) == list(compare.METHODS)
    for method, entry in result["methods"].items():
        pairs = {(r["content_image"], r["style_image"]) for r in entry["pairs"]}
        assert pairs == {(c, s) for c in CONTENTS for s in STYLES}, method
        for row in entry["pairs"]:
            assert all(math.isfinite(row[k]) for k in compare.SCORES), (method, row)
            assert -1 <= row["structure"] <= 1 and 0 <= row["colour"] <= 1
        summary = entry["summary"]
        assert summary["s_at_48"] > 0 and summary["s_at_64"] > 0, method
        assert summary["peak_rss_mb"] > 50, method
        image = comparison / "images" / method / compare.image_name(*CONTENTS[:1], STYLES[0])
        assert max(Image.open(image).size) == 48, method


def test_the_table_has_a_row_per_method_and_both_baselines(comparison):
    table = (comparison / "table.md").read_text().splitlines()
    methods = [line.split("|")[1].strip() for line in table[2:]]
    assert methods == [*compare.METHODS, "(colour transfer)", "(photo unchanged)"]
    assert "s/image at 48" in table[0] and "s/image at 64" in table[0]


def test_the_colour_transfer_baseline_moves_the_colours_and_keeps_the_photo(comparison):
    result = json.loads((comparison / "comparison.json").read_text())
    photo = {
        (r["content_image"], r["style_image"]): r for r in result["photo_unchanged"]["pairs_detail"]
    }
    for row in result["colour_transfer"]["pairs_detail"]:
        untouched = photo[row["content_image"], row["style_image"]]
        assert row["colour"] < untouched["colour"], row  # nearer the painting's palette
        assert row["structure"] > 0.5, row  # still the photo's structure (SSIM, no network)


def test_one_sheet_per_painting_with_a_row_per_method(comparison):
    for style in STYLES:
        sheet = Image.open(comparison / f"sheet_{style}.png")
        rows = len(compare.METHODS) + 1  # the photos, then one row per method
        assert sheet.height == rows * (CELL + compare.SHEET_GAP)
        assert sheet.width == compare.SHEET_LABEL_WIDTH + len(CONTENTS) * (CELL + compare.SHEET_GAP)

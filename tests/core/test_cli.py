"""The `stylize` command end to end, at a small size."""

import subprocess
import sys

import pytest
from PIL import Image

from core.cli import main
from core.metrics import distances
from tests.conftest import EXAMPLES, ROOT

STYLE = ROOT / "core" / "styles" / "starry_night.jpg"
CONTENT = EXAMPLES / "content" / "tubingen.jpg"


def stylize(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "core.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


@pytest.mark.slow
def test_output_is_stylized_and_recognisable(tmp_path, vgg):
    out = tmp_path / "out.png"
    run = stylize(CONTENT, STYLE, "-o", out, "--size", "128", "--quality", "fast", "--quiet")
    assert run.returncode == 0, run.stderr
    result = Image.open(out).convert("RGB")
    content, style = Image.open(CONTENT).convert("RGB"), Image.open(STYLE).convert("RGB")
    assert max(result.size) == 128

    ours = distances(result, content, style, vgg)
    photo_itself = distances(content.resize(result.size), content, style, vgg)
    other_photo = (
        Image.open(EXAMPLES / "content" / "chelsea.jpg").convert("RGB").resize(result.size)
    )
    unrelated = distances(other_photo, content, style, vgg)
    # Stylized: clearly closer to the painting's style than the photo itself is.
    assert ours["style"] < 0.6 * photo_itself["style"]
    # Recognisable: far closer to the photo's content than an unrelated photo is.
    assert ours["content"] < 0.6 * unrelated["content"]


def test_preset_and_jpeg_output(tmp_path):
    out = tmp_path / "out.jpg"
    run = stylize(
        CONTENT, "--preset", "the_scream", "-o", out, "--size", "64", "--steps", "3", "--quiet"
    )
    assert run.returncode == 0, run.stderr
    assert Image.open(out).format == "JPEG"


def test_list_presets():
    run = stylize("--list-presets")
    assert run.returncode == 0
    assert "starry_night" in run.stdout and "Vincent van Gogh" in run.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.jpg", STYLE, "-o", "x.png"], "cannot read missing.jpg"),
        ([CONTENT, STYLE, "-o", "x.png", "--strength", "-2"], "strength must be between"),
        ([ROOT / "pyproject.toml", STYLE, "-o", "x.png"], "not a recognised image"),
        ([CONTENT, STYLE, "-o", "x.png", "--steps", "many"], "not a whole number"),
        ([CONTENT, STYLE, "-o", "x.png", "--style-weight", "nan"], "must be finite"),
        ([CONTENT, STYLE, "-o", "x.png", "--size", "100000"], "size must be between"),
        ([CONTENT, "--preset", "mona_lisa", "-o", "x.png"], "unknown preset 'mona_lisa'"),
        ([CONTENT, STYLE, "-o", "x.gif"], "output must end in"),
        ([CONTENT, "-o", "x.png"], "either style images or --preset"),
        ([CONTENT, STYLE, "-o", "x.png", "--style-blend", "1", "2"], "style_blend has 2 weights"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main([*map(str, args), "--quiet"])
    assert exit_info.value.code != 0
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert message in lines[0]


def test_bad_input_in_a_real_process_has_no_traceback(tmp_path):
    run = stylize(ROOT / "pyproject.toml", STYLE, "-o", tmp_path / "x.png", "--quiet")
    assert run.returncode == 1
    assert (
        run.stderr.strip() == f"stylize: error: {ROOT / 'pyproject.toml'} is not a recognised image"
    )

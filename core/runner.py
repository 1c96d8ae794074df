"""One job from files, with a progress bar: what the CLI runs once its arguments are checked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PIL import Image
from tqdm import tqdm

from core.engine import Engine
from core.images import load_image_file
from core.params import ClipParams, StyleParams
from core.presets import get_preset, load_preset_image
from core.stylizer import Progress

if TYPE_CHECKING:
    from core.clips.stylize import ClipProgress, ClipResult
    from core.clips.video import ClipKind


def load_styles(style_paths: Sequence[str], preset: str | None) -> list[Image.Image]:
    if preset is not None:
        get_preset(preset)
        return [load_preset_image(preset)]
    return [load_image_file(path) for path in style_paths]


def run_job(
    content_path: str,
    style_paths: Sequence[str],
    params: StyleParams,
    device: str = "auto",
    init_path: str | None = None,
    checkpoint: str | None = None,
    show_progress: bool = True,
) -> Image.Image:
    """Decode inputs (failing early on bad files), load the engine, stylize, return the image."""
    content = load_image_file(content_path)
    styles = load_styles(style_paths, params.preset)
    init = load_image_file(init_path) if init_path else None
    # A checkpoint on the command line is the one to use: the shipped ones stay unloaded.
    engine = Engine.load(
        device, checkpoints=[checkpoint] if checkpoint else None, shipped=checkpoint is None
    )
    with tqdm(total=params.total_steps, disable=not show_progress, unit="step", leave=False) as bar:

        def on_progress(p: Progress) -> None:
            bar.total = p.total_steps
            bar.set_postfix(size=f"{p.size[0]}x{p.size[1]}", loss=f"{p.losses.get('total', 0):.3g}")
            bar.update(p.step - bar.n)

        result = engine.stylize(content, styles, params, on_progress, init=init)
    return result.image


def run_clip_job(
    content_path: str,
    style_paths: Sequence[str],
    output_path: str,
    params: StyleParams,
    clip: ClipParams,
    kind: ClipKind | None = None,
    choose_method: bool = False,
    device: str = "auto",
    checkpoint: str | None = None,
    show_progress: bool = True,
) -> ClipResult:
    """A clip from a file into a file, with a progress bar per frame. `choose_method`: the
    job's method was not asked for, so the fastest trained model for its painting paints."""
    from core.clips.stylize import stylize_clip
    from core.clips.video import open_clip

    open_clip(content_path).close()  # a bad clip fails before the engine loads
    styles = load_styles(style_paths, params.preset)
    engine = Engine.load(
        device, checkpoints=[checkpoint] if checkpoint else None, shipped=checkpoint is None
    )
    if choose_method:
        method = engine.preview_method(params.preset)
        if method is None:
            raise ValueError("no trained model is served for this painting; give --method")
        params = params.with_changes(method=method)
    with tqdm(disable=not show_progress, unit="frame", leave=False) as bar:

        def on_progress(p: ClipProgress) -> None:
            bar.total = max(p.total_frames, p.frame)
            bar.update(p.frame - bar.n)

        return stylize_clip(
            engine, content_path, output_path, styles, params, clip, kind=kind,
            progress=on_progress,
        )  # fmt: skip

"""`stylize`: the command line. All file I/O and argv handling lives here, none in the engine."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path

from core.params import (
    INITS,
    METHODS,
    PRESERVE_COLORS,
    QUALITIES,
    QUALITY_PRESETS,
    ClipParams,
    StyleParams,
    default_of,
)
from core.presets import PRESETS

OUTPUT_SUFFIXES = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".webp": "webp"}


class CliError(Exception):
    """A problem with the user's input: printed as one line, exit status 1."""


def _finite(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be finite: {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # One line, no usage dump: scripts read the last line of stderr.
        self.exit(2, f"stylize: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    presets = ", ".join(f"{q}={p.size}px/{p.total_steps} steps" for q, p in QUALITY_PRESETS.items())
    p = _Parser(
        prog="stylize", description="Repaint a photo in the style of one or more paintings."
    )
    p.add_argument("content", nargs="?", help="the photo, or a clip (MP4, MOV, WebM, GIF...)")
    p.add_argument("styles", nargs="*", metavar="STYLE", help="one or more style images")
    p.add_argument(
        "-o",
        "--output",
        help="output image (.png, .jpg, .webp); for a clip .mp4 or .gif (no suffix: the "
        "clip's own kind, a GIF for a GIF, else MP4)",
    )
    p.add_argument(
        "--preset", help="a preset painting by id instead of style files (see --list-presets)"
    )
    p.add_argument("--list-presets", action="store_true", help="list the preset paintings and exit")
    p.add_argument(
        "--method",
        choices=METHODS,
        help=f"default {default_of('method')}; for a clip the fastest trained model for the "
        "painting (feedforward for a preset, adain for a painting of your own)",
    )
    p.add_argument("--quality", choices=QUALITIES, default=default_of("quality"), help=presets)
    p.add_argument("--size", type=_positive_int, help="long side of the output in px")
    p.add_argument("--steps", type=_positive_int, help="total optimiser iterations")
    p.add_argument("--content-weight", type=_finite, default=default_of("content_weight"))
    p.add_argument("--style-weight", type=_finite, default=default_of("style_weight"))
    p.add_argument("--tv-weight", type=_finite, default=default_of("tv_weight"))
    p.add_argument(
        "--strength",
        type=_finite,
        default=default_of("strength"),
        help="multiplies the style weight (0.4 light, 1 medium, 2.5 strong)",
    )
    p.add_argument(
        "--style-blend", type=_finite, nargs="+", metavar="W", help="one weight per style image"
    )
    p.add_argument(
        "--style-scale",
        type=_finite,
        default=default_of("style_scale"),
        help="style image size relative to the output",
    )
    p.add_argument(
        "--preserve-color", choices=PRESERVE_COLORS, default=default_of("preserve_color")
    )
    p.add_argument("--optimizer", choices=("lbfgs", "adam"), default=default_of("optimizer"))
    p.add_argument(
        "--init",
        choices=INITS,
        default=default_of("init"),
        help="start: the photo in the painting's palette (default), the photo as it is "
        "(content), seeded noise, --init-image, or the preset's trained model's output "
        "refined on a shorter schedule (preview)",
    )
    p.add_argument("--init-image", help="start image for --init image")
    p.add_argument(
        "--style-statistic", choices=("gram", "w2"), default=default_of("style_statistic")
    )
    p.add_argument(
        "--early-stop",
        type=_finite,
        default=default_of("early_stop"),
        help="end a scale once the loss falls less than this fraction in 10 steps (0: off)",
    )
    p.add_argument("--seed", type=int, default=default_of("seed"))
    p.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"), default="auto")
    p.add_argument(
        "--checkpoint", help="feed-forward model checkpoint (for --method other than gatys)"
    )
    p.add_argument(
        "--temporal",
        type=_finite,
        default=ClipParams.temporal,
        help="clips only: steadiness 0..1; each painted frame is carried along the motion "
        "for about 1+5T frames before a newer one takes over (0: frame by frame, flickers)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def params_from_args(args: argparse.Namespace) -> StyleParams:
    try:
        return StyleParams(
            method=args.method or default_of("method"),
            quality=args.quality,
            size=args.size,
            steps=args.steps,
            content_weight=args.content_weight,
            style_weight=args.style_weight,
            tv_weight=args.tv_weight,
            strength=args.strength,
            style_blend=tuple(args.style_blend) if args.style_blend else None,
            style_scale=args.style_scale,
            preserve_color=args.preserve_color,
            optimizer=args.optimizer,
            init=args.init,
            style_statistic=args.style_statistic,
            seed=args.seed,
            preset=args.preset,
            early_stop=args.early_stop,
        )
    except ValueError as exc:
        raise CliError(str(exc)) from None


def _list_presets() -> None:
    for preset in PRESETS:
        sys.stdout.write(f"{preset.id:<20} {preset.title} ({preset.artist}, {preset.year})\n")


def run(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.list_presets:
        _list_presets()
        return 0
    if not args.content:
        raise CliError("a content image is needed (stylize CONTENT STYLE -o OUT)")
    if not args.output:
        raise CliError("an output path is needed (-o OUT)")
    if bool(args.styles) == bool(args.preset):
        raise CliError("give either style images or --preset, not both and not neither")
    if _is_clip(args.content):
        return _run_clip(args)
    fmt = OUTPUT_SUFFIXES.get(Path(args.output).suffix.lower())
    if fmt is None:
        raise CliError(f"output must end in {', '.join(OUTPUT_SUFFIXES)}: {args.output}")
    params = params_from_args(args)

    # Heavy imports only once the arguments are known to be good: --help stays instant.
    from core.runner import run_job

    image = run_job(
        content_path=args.content,
        style_paths=args.styles,
        params=params,
        device=args.device,
        init_path=args.init_image,
        checkpoint=args.checkpoint,
        show_progress=not args.quiet,
    )
    from core.images import encode_image

    try:
        Path(args.output).write_bytes(encode_image(image, fmt))  # type: ignore[arg-type]
    except OSError as exc:
        raise CliError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    return 0


def _is_clip(path: str) -> bool:
    """A clip by its first bytes, whatever its name (a photo fails later, as before)."""
    from core.clips.video import looks_like_clip

    try:
        with open(path, "rb") as fh:
            return looks_like_clip(fh.read(16))
    except OSError:
        return False  # the image path reports the missing file


def _run_clip(args: argparse.Namespace) -> int:
    from core.clips.video import SUFFIXES, output_kind

    kind = output_kind(args.output)
    if kind is None and Path(args.output).suffix:
        raise CliError(f"a clip is written as {', '.join(SUFFIXES)}: {args.output}")
    try:
        clip = ClipParams(temporal=args.temporal)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    params = params_from_args(args)
    from core.runner import run_clip_job

    run_clip_job(
        content_path=args.content,
        style_paths=args.styles,
        output_path=args.output,
        params=params,
        clip=clip,
        kind=kind,
        choose_method=args.method is None,
        device=args.device,
        checkpoint=args.checkpoint,
        show_progress=not args.quiet,
    )
    return 0


def main(argv: Sequence[str] | None = None) -> None:
    try:
        code = run(argv)
    except CliError as exc:
        sys.stderr.write(f"stylize: error: {exc}\n")
        code = 1
    except ValueError as exc:  # the engine's boundary checks (bad image, bad parameter)
        sys.stderr.write(f"stylize: error: {exc}\n")
        code = 1
    except KeyboardInterrupt:
        sys.stderr.write("stylize: interrupted\n")
        code = 130
    sys.exit(code)


if __name__ == "__main__":
    main()

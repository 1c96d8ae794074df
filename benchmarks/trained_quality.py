"""How far the trained models really paint, on held-out photos, against trivial answers.

For every trained model and every painting it serves, on photos no model trained on, at
the output size (512 px by default), with core.metrics:

- style ratio: its style distance / the untouched photo's (1 = did nothing);
- style vs colour transfer: its style distance / that of the photo recoloured to the
  painting's colour mean and covariance (core.colour; no network): under 1 means the
  network adds texture and strokes, not only colour;
- content ratio: its content distance / that of an unrelated held-out photo (1 = the photo
  is gone);
- contrast: the output's luminance standard deviation / the photo's (washed out: << 1).

Medians over the photos per (method, painting), the worst case beside them; a contact sheet
per family (rows: paintings, columns: photos). Paintings a transformer never saw can be
added with --unseen; they are scored and reported apart.

    python benchmarks/trained_quality.py --out docs/bench/trained_quality.json \
        --sheets docs/images/trained
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch
from PIL import Image, ImageDraw, ImageOps

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core import colour  # noqa: E402
from core.engine import Engine  # noqa: E402
from core.gatys import image_to_tensor  # noqa: E402
from core.metrics import _network, colour_transfer, distances  # noqa: E402
from core.params import StyleParams  # noqa: E402
from core.presets import get_preset  # noqa: E402

HELD_OUT = (ROOT / "examples" / "heldout", ROOT / "examples" / "content")
SCORES = ("style_vs_photo", "style_vs_colour_transfer", "content_vs_unrelated", "contrast")


def held_out_photos(folders: list[Path]) -> list[Path]:
    return sorted(p for f in folders for p in f.glob("*.jpg"))


def contrast(image: Image.Image) -> float:
    return float(colour.rgb_to_yiq(image_to_tensor(image))[:, 0].std())


def score(
    output: Image.Image, photo: Image.Image, painting: Image.Image, unrelated: Image.Image
) -> dict[str, float]:
    photo = photo.resize(output.size, Image.Resampling.LANCZOS)
    unrelated = ImageOps.fit(unrelated, output.size, Image.Resampling.LANCZOS)
    ours = distances(output, photo, painting)
    untouched = distances(photo, photo, painting)
    recoloured = distances(colour_transfer(photo, painting), photo, painting)
    other = distances(unrelated, photo, painting)
    return {
        "style": ours["style"],
        "content": ours["content"],
        "style_vs_photo": ours["style"] / untouched["style"],
        "style_vs_colour_transfer": ours["style"] / recoloured["style"],
        "content_vs_unrelated": ours["content"] / other["content"],
        "contrast": contrast(output) / contrast(photo),
        "colour_transfer_vs_photo": recoloured["style"] / untouched["style"],
    }


def sheet(cells: dict[str, list[Image.Image]], photos: list[Image.Image], cell: int) -> Image.Image:
    """Rows: the photos, then one row per painting; 110 px of labels on the left."""
    label = 110
    rows = [("photo", photos), *cells.items()]
    width = label + cell * len(photos)
    out = Image.new("RGB", (width, cell * len(rows)), "white")
    draw = ImageDraw.Draw(out)
    for r, (name, images) in enumerate(rows):
        draw.text((4, r * cell + cell // 2), name, fill="black")
        for c, img in enumerate(images):
            out.paste(ImageOps.fit(img, (cell, cell)), (label + c * cell, r * cell))
    return out


def evaluate(args: argparse.Namespace) -> dict:
    engine = Engine.load("cpu", checkpoints=args.checkpoint, shipped=not args.no_shipped)
    paths = held_out_photos(args.photos)
    photos = [Image.open(p).convert("RGB") for p in paths]
    _network()  # load VGG once before timing anything
    report: dict = {"size": args.size, "photos": [p.name for p in paths], "models": []}
    for method, styles in sorted(engine.fast_models().items()):
        if args.methods and method not in args.methods:
            continue
        extra = [Path(u) for u in args.unseen] if method == "transformer" else []
        targets = [(s, get_preset(s).path, True) for s in styles] + [
            (p.stem, p, False) for p in extra
        ]
        if args.paintings:  # a share of the work, e.g. for one process per core
            targets = [t for t in targets if t[0] in args.paintings]
        cells: dict[str, list[Image.Image]] = {}
        for name, path, seen in targets:
            painting = Image.open(path).convert("RGB")
            preset = name if seen else None
            rows, seconds = [], []
            for i, photo in enumerate(photos):
                params = StyleParams(method=method, preset=preset, size=args.size)
                started = time.perf_counter()
                out = engine.stylize(photo, [painting], params).image
                seconds.append(time.perf_counter() - started)
                unrelated = photos[(i + len(photos) // 2) % len(photos)]
                rows.append(score(out, photo, painting, unrelated))
                if i < args.sheet_photos:
                    cells.setdefault(name, []).append(out)
            summary = {
                "method": method,
                "painting": name,
                "trained_on": seen,
                "seconds_median": statistics.median(seconds),
                **{f"{k}_median": statistics.median(r[k] for r in rows) for k in rows[0]},
                **{f"{k}_worst": max(r[k] for r in rows) for k in SCORES if k != "contrast"},
                "contrast_worst": min(r["contrast"] for r in rows),
            }
            report["models"].append(summary)
            print(
                f"{method:12s} {name:20s} style/photo {summary['style_vs_photo_median']:.3f} "
                f"style/colour {summary['style_vs_colour_transfer_median']:.3f} "
                f"content/unrelated {summary['content_vs_unrelated_median']:.3f} "
                f"contrast {summary['contrast_median']:.2f}",
                flush=True,
            )
        if args.sheets:
            args.sheets.mkdir(parents=True, exist_ok=True)
            shown = photos[: args.sheet_photos]
            sheet(cells, shown, 192).save(args.sheets / f"{method}.jpg", quality=88)
    return report


def markdown(report: dict) -> str:
    lines = [
        "| model | painting | style / photo's | style / colour transfer's | "
        "content / unrelated photo's | contrast / photo's | s per image |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for m in report["models"]:
        seen = "" if m["trained_on"] else " (never seen)"
        lines.append(
            f"| {m['method']} | {m['painting']}{seen} | {m['style_vs_photo_median']:.2f} "
            f"(worst {m['style_vs_photo_worst']:.2f}) | "
            f"{m['style_vs_colour_transfer_median']:.2f} "
            f"(worst {m['style_vs_colour_transfer_worst']:.2f}) | "
            f"{m['content_vs_unrelated_median']:.2f} "
            f"(worst {m['content_vs_unrelated_worst']:.2f}) | {m['contrast_median']:.2f} | "
            f"{m['seconds_median']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--photos", type=Path, nargs="+", default=list(HELD_OUT))
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--methods", nargs="*", help="only these families")
    p.add_argument("--checkpoint", nargs="*", default=[], help="extra checkpoints to score")
    p.add_argument("--no-shipped", action="store_true", help="score only --checkpoint")
    p.add_argument("--unseen", nargs="*", default=[], help="paintings for the transformer only")
    p.add_argument("--paintings", nargs="*", help="only these presets (and --unseen names)")
    p.add_argument("--sheets", type=Path, help="folder for one contact sheet per family")
    p.add_argument("--sheet-photos", type=int, default=5)
    p.add_argument("--out", type=Path, help="JSON report; a .md table is written beside it")
    args = p.parse_args(argv)
    torch.set_grad_enabled(False)
    report = evaluate(args)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1) + "\n")
        args.out.with_suffix(".md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()

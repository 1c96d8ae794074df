"""Gatys at several style weights (and starts) on sample photos and paintings: where the
default should sit, and what the start does on paintings whose palette is far from the photo's.

For every photo x painting x init x style weight it runs `balanced` at --size (strength 1)
and records
core.metrics' content distance (to the photo), style distance (to the painting) and colour
distance (joint RGB histograms, to the painting), beside the same figures for the untouched
photo. Cases are saved as they finish (a stopped run keeps what it measured and is resumed by
running it again); --plot draws content against style distance per painting.

    python benchmarks/strength_sweep.py --style-weights 5 10 12.5 15 25 --inits content \\
        --out docs/bench/strength_sweep_512.json --plot docs/images/strength_sweep.png
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.engine import Engine  # noqa: E402
from core.metrics import _network, colour_distance, distances  # noqa: E402
from core.params import StyleParams  # noqa: E402

PHOTOS = ("examples/content/tubingen.jpg", "examples/heldout/canyon_de_chelly.jpg")
PAINTINGS = (
    "core/styles/starry_night.jpg",
    "core/styles/the_scream.jpg",
    "core/styles/woman_with_hat.jpg",
    "core/styles/shipwreck.jpg",
)


def key(photo: str, painting: str, init: str, style_weight: float) -> str:
    return f"{Path(photo).stem}|{Path(painting).stem}|{init}|{style_weight:g}"


def measure(
    engine: Engine, photo: Image.Image, painting: Image.Image, params: StyleParams | None, size: int
) -> tuple[dict, Image.Image]:
    started = time.perf_counter()
    if params is None:  # the untouched photo, at the output's size
        out = photo.resize(_sized(photo, size), Image.Resampling.LANCZOS)
        steps = 0
    else:
        result = engine.stylize(photo, [painting], params)
        out, steps = result.image, result.steps
    d = distances(out, photo, painting)
    return {
        "content": round(d["content"], 4),
        "style": round(d["style"], 4),
        "colour": round(colour_distance(out, painting), 4),
        "steps": steps,
        "seconds": round(time.perf_counter() - started, 1),
    }, out


def _sized(image: Image.Image, side: int) -> tuple[int, int]:
    w, h = image.size
    scale = side / max(w, h)
    return round(w * scale), round(h * scale)


def plot(report: dict, path: Path) -> None:
    """One panel per painting: content against style distance, a line per photo and start."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = {k: v for k, v in report["cases"].items() if v["init"] != "photo"}
    paintings = sorted({r["painting"] for r in rows.values()})
    fig, axes = plt.subplots(1, len(paintings), figsize=(3.6 * len(paintings), 3.4), sharey=False)
    axes = axes if len(paintings) > 1 else [axes]
    for ax, painting in zip(axes, paintings, strict=True):
        series: dict[tuple[str, str], list[dict]] = {}
        for r in rows.values():
            if r["painting"] == painting:
                series.setdefault((r["photo"], r["init"]), []).append(r)
        for (photo, init), points in sorted(series.items()):
            points.sort(key=lambda r: r["style_weight"])
            style = "-o" if init == "content" else "--s"
            ax.plot([p["style"] for p in points], [p["content"] for p in points], style,
                    label=f"{photo} {init}", markersize=4)  # fmt: skip
            for p in points:
                ax.annotate(f"{p['style_weight']:g}", (p["style"], p["content"]), fontsize=7)
        ax.set_title(painting, fontsize=9)
        ax.set_xlabel("style distance")
        ax.set_ylabel("content distance")
        ax.legend(fontsize=6)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--photos", nargs="+", default=list(PHOTOS))
    p.add_argument("--paintings", nargs="+", default=list(PAINTINGS))
    p.add_argument("--style-weights", type=float, nargs="+", default=[5.0, 10.0, 12.5, 15.0, 25.0])
    p.add_argument("--inits", nargs="+", default=["content"], choices=["content", "palette"])
    p.add_argument("--quality", default="balanced")
    p.add_argument("--out", type=Path, required=True, help="JSON report, resumed if it exists")
    p.add_argument("--images", type=Path, help="folder for every output")
    p.add_argument("--plot", type=Path, help="PNG: content against style distance per painting")
    p.add_argument("--plot-only", action="store_true", help="plot --out as it is; run nothing")
    args = p.parse_args(argv)
    if args.plot_only:
        plot(json.loads(args.out.read_text()), args.plot)
        return

    report = json.loads(args.out.read_text()) if args.out.exists() else {"cases": {}}
    report["settings"] = {"size": args.size, "quality": args.quality}
    engine = Engine.load("cpu")
    engine.warm_up()
    _network()
    for photo_path in args.photos:
        photo = Image.open(ROOT / photo_path).convert("RGB")
        for painting_path in args.paintings:
            painting = Image.open(ROOT / painting_path).convert("RGB")
            base = f"{Path(photo_path).stem}|{Path(painting_path).stem}|photo"
            if base not in report["cases"]:
                figures, _ = measure(engine, photo, painting, None, args.size)
                report["cases"][base] = {
                    "photo": Path(photo_path).stem,
                    "painting": Path(painting_path).stem,
                    "init": "photo",
                    "style_weight": 0.0,
                    **figures,
                }
            for init in args.inits:
                for style_weight in args.style_weights:
                    k = key(photo_path, painting_path, init, style_weight)
                    if k in report["cases"]:
                        continue
                    params = StyleParams(
                        quality=args.quality,
                        size=args.size,
                        style_weight=style_weight,
                        strength=1.0,
                        init=init,
                    )
                    figures, out = measure(engine, photo, painting, params, args.size)
                    report["cases"][k] = {
                        "photo": Path(photo_path).stem,
                        "painting": Path(painting_path).stem,
                        "init": init,
                        "style_weight": style_weight,
                        **figures,
                    }
                    print(k, figures, flush=True)
                    if args.images:
                        args.images.mkdir(parents=True, exist_ok=True)
                        out.save(args.images / (k.replace("|", "_") + ".jpg"), quality=90)
                    args.out.parent.mkdir(parents=True, exist_ok=True)
                    args.out.write_text(json.dumps(report, indent=1) + "\n")
    if args.plot:
        plot(report, args.plot)


if __name__ == "__main__":
    main()

"""What each coarse-to-fine level adds: adain and transformer with the cascade's levels and
settings varied, scored as benchmarks/unseen_paintings.py scores (core.metrics, medians).

Variants are written LEVEL=TRANSFORM:STRENGTH,... (`relu4_1` alone: an empty string). The
defaults of core.models.cascade were chosen with `--set validation` (the eight presets x
examples/content/, paintings and photos the scoring grid does not hold); `--set heldout`
is the scoring grid itself (examples/heldout_styles/heldout.json x examples/heldout/).

    python benchmarks/cascade_levels.py --set validation --size 512 \\
        --variants "" "relu3_1=wct:1" "relu3_1=wct:1,relu2_1=wct:1" \\
        "relu3_1=wct:1,relu2_1=wct:1,relu1_1=wct:1" --out docs/bench/cascade_levels.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.unseen_paintings import PHOTOS, held_out_paintings, score  # noqa: E402
from core.engine import Engine  # noqa: E402
from core.models.cascade import LevelSetting  # noqa: E402
from core.params import StyleParams  # noqa: E402

VALIDATION_PAINTINGS = sorted((ROOT / "core" / "styles").glob("*.jpg"))
VALIDATION_PHOTOS = sorted((ROOT / "examples" / "content").glob("*.jpg"))


def parse_variant(text: str) -> dict[str, LevelSetting]:
    """ "relu3_1=wct:1,relu2_1=efdm:0.5" -> {level: LevelSetting}; "" -> no shallow level."""
    settings = {}
    for part in filter(None, text.split(",")):
        level, _, rest = part.partition("=")
        kind, _, strength = rest.partition(":")
        settings[level.strip()] = LevelSetting(kind.strip(), float(strength or 1))
    return settings


def grid(which: str, max_photos: int) -> tuple[list[Path], list[Path]]:
    if which == "validation":
        return VALIDATION_PAINTINGS, VALIDATION_PHOTOS[:max_photos]
    paintings = [p["path"] for p in held_out_paintings()]
    return paintings, sorted(PHOTOS.glob("*.jpg"))[:max_photos]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--set", choices=("validation", "heldout"), default="validation")
    ap.add_argument("--methods", nargs="+", default=["adain"])
    ap.add_argument("--variants", nargs="+", default=[""])
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--style-scale", type=float, nargs="+", default=[1.0])
    ap.add_argument("--max-photos", type=int, default=3)
    ap.add_argument(
        "--paint-sides", type=int, nargs="+", default=[0],
        help="the relu4_1 pass's longest side (STYLIZE_PAINT_SIDE); 0: the output's size",
    )  # fmt: skip
    ap.add_argument("--checkpoint", nargs="*", default=[], help="extra checkpoints to serve")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()

    paintings, photo_paths = grid(args.set, args.max_photos)
    photos = [Image.open(p).convert("RGB") for p in photo_paths]
    engine = Engine.load("cpu", checkpoints=args.checkpoint)
    rows = []
    for method in args.methods:
        for variant in args.variants:
            engine.cascade.settings = parse_variant(variant)
            for style_scale, paint_side in itertools.product(args.style_scale, args.paint_sides):
                params = StyleParams(method=method, size=args.size, style_scale=style_scale)
                engine.one_pass(params).paint_side = paint_side or None  # type: ignore[attr-defined]
                scores = []
                for painting_path in paintings:
                    painting = Image.open(painting_path).convert("RGB")
                    for photo_path, photo in zip(photo_paths, photos, strict=True):
                        started = time.perf_counter()
                        out = engine.stylize(photo, [painting], params).image
                        seconds = time.perf_counter() - started
                        key = (painting_path.name, photo_path.name)
                        scores.append({**score(out, photo, painting, key), "seconds": seconds})
                row = {
                    "method": method,
                    "variant": variant or "relu4_1 alone",
                    "style_scale": style_scale,
                    "paint_side": paint_side or "output",
                    "pairs": len(scores),
                    **{f"{k}_median": round(statistics.median(s[k] for s in scores), 4)
                       for k in ("style_vs_colour_transfer", "content_vs_painting", "seconds")},
                }  # fmt: skip
                rows.append(row)
                print(json.dumps(row), flush=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        report = {"set": args.set, "size": args.size, "rows": rows,
                  "paintings": [p.name for p in paintings],
                  "photos": [p.name for p in photo_paths]}  # fmt: skip
        args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()

"""What else holds the style back on muted paintings: levers of the Gatys default, side by side.

For each photo x painting it runs `balanced` at --size with one lever changed at a time and
records core.metrics' content and style distances, the style distance per VGG layer (where
the remaining error sits) and the wall time. Levers: the start (`content`, the default
`palette`), no early stop, twice the iterations, heavier deep style layers, the W2 statistic,
and other iteration splits between the two scales (`sched<coarse>_<fine>`, no early stop).
Rows are appended to --out as they finish.

    python benchmarks/muted_levers.py --pairs arcimboldo_librarian:tubingen \\
        --levers content palette no_early_stop twice_the_steps \\
        --out docs/bench/muted_levers_512.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import torch
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import core.params  # noqa: E402
from core.engine import Engine  # noqa: E402
from core.metrics import distances, style_distance_by_layer  # noqa: E402
from core.params import QualityPreset, StyleParams  # noqa: E402

LEVERS: dict[str, dict] = {
    "content": {"init": "content"},
    "palette": {},
    "no_early_stop": {"early_stop": 0.0},
    "twice_the_steps": {"early_stop": 0.0, "steps": 500},
    "deep_layers": {"style_layer_weights": (0.5, 0.5, 1.0, 1.5, 1.5)},
    "w2": {"style_statistic": "w2"},
}
FOLDERS = ("examples/styles", "core/styles", "examples/content", "examples/heldout")


def find(stem: str) -> Path:
    for folder in FOLDERS:
        path = ROOT / folder / f"{stem}.jpg"
        if path.exists():
            return path
    raise SystemExit(f"no image named {stem}")


@contextlib.contextmanager
def schedule(lever: str) -> Iterator[dict]:
    """`sched300_100`: balanced's two scales with these iterations, no early stop."""
    if not lever.startswith("sched"):
        yield LEVERS[lever]
        return
    coarse, fine = (int(n) for n in lever[5:].split("_"))
    saved = core.params.QUALITY_PRESETS["balanced"]
    core.params.QUALITY_PRESETS["balanced"] = QualityPreset(
        size=saved.size, scales=saved.scales, steps=(coarse, fine)
    )
    try:
        yield {"early_stop": 0.0}
    finally:
        core.params.QUALITY_PRESETS["balanced"] = saved


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pairs", nargs="+", required=True, help="painting:photo (file stems)")
    ap.add_argument("--levers", nargs="+", default=list(LEVERS))
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()

    engine = Engine.load("cpu")
    rows = json.loads(args.out.read_text()) if args.out.exists() else []
    for pair in args.pairs:
        painting_stem, photo_stem = pair.split(":")
        painting = Image.open(find(painting_stem)).convert("RGB")
        photo = Image.open(find(photo_stem)).convert("RGB")
        for lever in args.levers:
            with schedule(lever) as settings:
                params = StyleParams(quality="balanced", size=args.size, **settings)
                started = time.perf_counter()
                result = engine.stylize(photo, [painting], params)
                seconds = time.perf_counter() - started
            d = distances(result.image, photo, painting)
            row = {
                "painting": painting_stem,
                "photo": photo_stem,
                "lever": lever,
                "content": round(d["content"], 4),
                "style": round(d["style"], 4),
                "style_per_layer": {
                    layer: round(error, 4)
                    for layer, error in style_distance_by_layer(result.image, painting).items()
                },
                "seconds": round(seconds, 1),
                "steps": result.steps,
                "torch_threads": torch.get_num_threads(),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()

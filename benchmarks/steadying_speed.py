"""What steadying a clip costs per frame, apart from painting it: core.clips.temporal.Stabiliser on
a camera pan over a held-out photo (its frames standing in for painted ones), beside the two
DIS flows it computes, in the same run.

    python benchmarks/steadying_speed.py --size 854 480 --frames 40
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.clips.flow import FlowEstimator, to_gray  # noqa: E402
from core.clips.temporal import Stabiliser  # noqa: E402
from core.params import ClipParams  # noqa: E402
from scripts.make_clips import camera_frames  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, nargs=2, default=[854, 480], metavar=("W", "H"))
    p.add_argument("--frames", type=int, default=40)
    p.add_argument("--temporal", type=float, nargs="+", default=[ClipParams.temporal, 1.0])
    args = p.parse_args()
    photo = Image.open(ROOT / "examples" / "heldout" / "canyon_de_chelly.jpg").convert("RGB")
    frames = [
        torch.from_numpy(np.asarray(f, np.float32) / 255).permute(2, 0, 1)
        for f in camera_frames(photo, tuple(args.size), args.frames, travel=0.2)
    ]
    grays = [to_gray(np.asarray(f.permute(1, 2, 0) * 255, np.uint8)) for f in frames]
    flow = FlowEstimator("dis")
    flows = []
    for a, b in zip(grays[:-1], grays[1:], strict=True):
        started = time.perf_counter()
        flow.pair(a, b)
        flows.append(time.perf_counter() - started)
    print(f"{args.size[0]}x{args.size[1]}, {torch.get_num_threads()} threads")
    print(f"the two DIS flows alone: {statistics.median(flows):.3f} s a frame (median)")
    for temporal in args.temporal:
        stabilise, times = Stabiliser(temporal), []
        for frame in frames:
            started = time.perf_counter()
            stabilise(frame, frame)
            times.append(time.perf_counter() - started)
        print(f"temporal {temporal:g}: {statistics.median(times[1:]):.3f} s a frame (median)")


if __name__ == "__main__":
    main()

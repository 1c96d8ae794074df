"""The project's `stylize` against pastiche on the same pairs, sizes and machine.

Both run as command-line programs (start-up included for both), one after the other per
pair, and both outputs are scored by one function (core.metrics.distances).

    python benchmarks/engine_vs_pastiche.py --sizes 256 512 --out docs/bench/engine.json

Peer runs are kept in benchmarks/results/ so that tuning the project's settings does not
re-run pastiche; pass --fresh-peer to re-run it.
"""

from __future__ import annotations

import argparse
import json
import shlex
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
PAIRS = [
    ("tubingen", "starry_night"),
    ("chelsea", "the_scream"),
    ("astronaut", "shipwreck"),
]


def content_path(name: str) -> Path:
    return ROOT / "examples" / "content" / f"{name}.jpg"


def style_path(name: str) -> Path:
    return ROOT / "core" / "styles" / f"{name}.jpg"


def timed(cmd: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - started


def run_pastiche(content: str, style: str, size: int, steps: int, fresh: bool) -> dict:
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"pastiche_{content}_{style}_{size}_{steps}.png"
    meta = out.with_suffix(".json")
    if meta.exists() and out.exists() and not fresh:
        return json.loads(meta.read_text())
    cmd = [
        sys.executable,
        "-m",
        "pastiche",
        "--device",
        "cpu",
        "--seed",
        "0",
        "--size",
        str(size),
        "--style-size",
        str(size),
        "--num-steps",
        str(steps),
        "--no-verbose",
        "-c",
        str(content_path(content)),
        "-s",
        str(style_path(style)),
        "-o",
        str(out),
    ]
    record = {"seconds": timed(cmd), "output": str(out)}
    meta.write_text(json.dumps(record))
    return record


def run_ours(content: str, style: str, size: int, extra: list[str], tag: str) -> dict:
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"ours_{tag}_{content}_{style}_{size}.png"
    cmd = [
        sys.executable,
        "-m",
        "core.cli",
        str(content_path(content)),
        str(style_path(style)),
        "-o",
        str(out),
        "--size",
        str(size),
        "--device",
        "cpu",
        "--quiet",
        *extra,
    ]
    return {"seconds": timed(cmd), "output": str(out)}


def score(record: dict, content: str, style: str) -> dict:
    out = Image.open(record["output"]).convert("RGB")
    d = distances(out, Image.open(content_path(content)), Image.open(style_path(style)))
    return {**record, **d}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    ap.add_argument("--pairs", type=int, default=len(PAIRS), help="how many of the default pairs")
    ap.add_argument("--peer-steps", type=int, default=1000)
    ap.add_argument(
        "--ours",
        default="--quality balanced --strength 3",
        help='arguments for stylize, as one string: --ours="--quality fast"',
    )
    ap.add_argument("--tag", default="balanced_s3", help="names the project's output files")
    ap.add_argument("--fresh-peer", action="store_true")
    ap.add_argument("--out", type=Path, help="write the rows as JSON here")
    args = ap.parse_args()

    rows = []
    for size in args.sizes:
        for content, style in PAIRS[: args.pairs]:
            peer = score(
                run_pastiche(content, style, size, args.peer_steps, args.fresh_peer), content, style
            )
            ours_args = shlex.split(args.ours)
            ours = score(run_ours(content, style, size, ours_args, args.tag), content, style)
            row = {
                "size": size,
                "pair": f"{content}/{style}",
                "pastiche_s": round(peer["seconds"], 1),
                "ours_s": round(ours["seconds"], 1),
                "speedup": round(peer["seconds"] / ours["seconds"], 2),
                "pastiche_content": round(peer["content"], 4),
                "ours_content": round(ours["content"], 4),
                "pastiche_style": round(peer["style"], 4),
                "ours_style": round(ours["style"], 4),
            }
            row["both_no_worse"] = (
                row["ours_content"] <= row["pastiche_content"]
                and row["ours_style"] <= row["pastiche_style"]
            )
            rows.append(row)
            print(json.dumps(row), flush=True)
    for size in args.sizes:
        sized = [r for r in rows if r["size"] == size]
        print(
            f"{size}px medians: pastiche {statistics.median(r['pastiche_s'] for r in sized):.1f}s, "
            f"ours {statistics.median(r['ours_s'] for r in sized):.1f}s, "
            f"speed-up {statistics.median(r['speedup'] for r in sized):.2f}x"
        )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"ours_args": args.ours, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()

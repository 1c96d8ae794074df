"""POST /stylize with a painting of the user's own, through the warm service, per method.

Starts `python -m api` on a free loopback port (real engine, CPU, shipped checkpoints) and
sends the same photo and an uploaded held-out painting N times per method, in turns:
seconds from the request to the last byte of the PNG, as a client sees them (upload,
decoding, the painting's statistics, the network, encoding). Medians and p90.

    python benchmarks/any_painting_service.py --runs 7 --out docs/bench/any_painting_service.json
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import httpx
from api_bench import start_server
from service_helpers import percentile, write_report

ROOT = Path(__file__).resolve().parent.parent
PHOTO = (ROOT / "examples" / "heldout" / "gateway_of_india.jpg").read_bytes()
PAINTING = (ROOT / "examples" / "heldout_styles" / "kandinsky_composition_viii.jpg").read_bytes()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--methods", nargs="+", default=["adain", "transformer"])
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    proc, base, startup = start_server(queue_size=4)
    seconds: dict[str, list[float]] = {m: [] for m in args.methods}
    try:
        with httpx.Client(base_url=base, timeout=120) as client:
            for method in args.methods:  # warm-up: the first job of a method pays one-offs
                post(client, method, args.size)
            for _ in range(args.runs):
                for method in args.methods:
                    started = time.perf_counter()
                    post(client, method, args.size)
                    seconds[method].append(time.perf_counter() - started)
    finally:
        proc.terminate()
        proc.wait(30)
    report = {
        "size": args.size,
        "runs": args.runs,
        "startup": startup,
        "seconds": {
            m: {"median": round(statistics.median(v), 3), "p90": round(percentile(v, 0.9), 3)}
            for m, v in seconds.items()
        },
    }
    write_report(report, args.out)


def post(client: httpx.Client, method: str, size: int) -> None:
    files = {"content": ("photo.jpg", PHOTO), "style": ("painting.jpg", PAINTING)}
    r = client.post("/stylize", files=files, data={"method": method, "size": str(size)})
    if r.status_code != 200 or not r.content.startswith(b"\x89PNG"):
        sys.exit(f"{method}: {r.status_code} {r.text[:200]}")


if __name__ == "__main__":
    main()

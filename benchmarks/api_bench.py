"""The service against the bare engine: overhead, start-up, and a burst of concurrent clients.

Starts `python -m api` on a free loopback port (real engine, CPU), then:
1. start-up: seconds from spawning the process to /healthz and to /readyz;
2. overhead: the same small job through POST /stylize and through Engine.stylize in this
   process, alternating, N times each: p50/p99 of both and of the difference;
3. burst: C clients submit one job each at once (POST /jobs), follow it to the end, and we
   count accepted, refused (503 + Retry-After) and lost jobs, with the server's RSS.

    python benchmarks/api_bench.py --runs 20 --clients 20 --out docs/bench/api.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
from service_helpers import free_port, percentile, rss_mb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.engine import Engine  # noqa: E402
from core.images import decode_image  # noqa: E402
from core.params import StyleParams  # noqa: E402

CONTENT = (ROOT / "examples" / "content" / "chelsea.jpg").read_bytes()
STYLE = (ROOT / "core" / "styles" / "starry_night.jpg").read_bytes()
JOB = {"size": "64", "steps": "5", "seed": "0"}


def start_server(queue_size: int) -> tuple[subprocess.Popen, str, dict]:
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "DEVICE": "cpu",
        "LOG_LEVEL": "WARNING",
        "QUEUE_SIZE": str(queue_size),
    }
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "api"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    times: dict = {}
    while "ready_s" not in times:
        try:
            if (
                "alive_s" not in times
                and httpx.get(f"{base}/healthz", timeout=1).status_code == 200
            ):
                times["alive_s"] = round(time.perf_counter() - started, 2)
            r = httpx.get(f"{base}/readyz", timeout=1)
            if r.status_code == 200:
                times["ready_s"] = round(time.perf_counter() - started, 2)
                times["warm_up_s"] = r.json()["warm_up_seconds"]
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    return proc, base, times


def overhead(base: str, runs: int) -> dict:
    engine = Engine.load("cpu")
    content, style = decode_image(CONTENT), decode_image(STYLE)
    params = StyleParams(size=64, steps=5, seed=0)
    engine.stylize(content, [style], params)  # warm this side too
    bare, served = [], []
    with httpx.Client(base_url=base, timeout=120) as client:
        for _ in range(runs):
            t = time.perf_counter()
            engine.stylize(content, [style], params)
            bare.append(time.perf_counter() - t)
            t = time.perf_counter()
            r = client.post("/stylize", data=JOB, files={"content": CONTENT, "style": STYLE})
            served.append(time.perf_counter() - t)
            assert r.status_code == 200, r.text
    diff = [s - b for s, b in zip(served, bare, strict=True)]
    return {
        "runs": runs,
        "bare_p50_ms": round(1000 * statistics.median(bare), 1),
        "bare_p99_ms": round(1000 * percentile(bare, 0.99), 1),
        "service_p50_ms": round(1000 * statistics.median(served), 1),
        "service_p99_ms": round(1000 * percentile(served, 0.99), 1),
        "overhead_p50_ms": round(1000 * statistics.median(diff), 1),
        "overhead_p99_ms": round(1000 * percentile(diff, 0.99), 1),
    }


async def burst(base: str, clients: int, pid: int) -> dict:
    rss_before = rss_mb(pid)
    async with httpx.AsyncClient(base_url=base, timeout=600) as client:

        async def one() -> str:
            r = await client.post(
                "/jobs",
                data={"size": "64", "steps": "3"},
                files={"content": CONTENT, "style": STYLE},
            )
            if r.status_code == 503:
                assert int(r.headers["retry-after"]) >= 1
                return "refused"
            assert r.status_code == 202, r.text
            job_id = r.json()["id"]
            while True:
                status = (await client.get(f"/jobs/{job_id}")).json()["status"]
                if status in ("succeeded", "failed", "cancelled"):
                    break
                await asyncio.sleep(0.2)
            if status != "succeeded":
                return status
            result = await client.get(f"/jobs/{job_id}/result")
            decode_image(result.content)
            return "succeeded"

        started = time.perf_counter()
        outcomes = await asyncio.gather(*(one() for _ in range(clients)))
        seconds = time.perf_counter() - started
    return {
        "clients": clients,
        "succeeded": outcomes.count("succeeded"),
        "refused_503": outcomes.count("refused"),
        "lost_or_failed": len(outcomes) - outcomes.count("succeeded") - outcomes.count("refused"),
        "seconds": round(seconds, 1),
        "rss_before_mb": round(rss_before, 1),
        "rss_after_mb": round(rss_mb(pid), 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--queue-size", type=int, default=16)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    proc, base, startup = start_server(args.queue_size)
    try:
        report = {
            "startup": startup,
            "overhead": overhead(base, args.runs),
            "burst": asyncio.run(burst(base, args.clients, proc.pid)),
        }
    finally:
        proc.terminate()
        proc.wait(30)
    print(json.dumps(report, indent=1))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()

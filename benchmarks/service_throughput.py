"""Jobs per second and latency through the HTTP API for a stream of small jobs.

Starts the service on loopback (real engine, CPU) in each mode in turn and keeps
`--clients` clients busy: each submits a job (POST /jobs), follows it to the end, fetches
the result and submits the next, until `--jobs` jobs are done. Reports jobs/second and
p50/p99 of submit-to-result latency.

Modes: embedded (one process, in-process queue), embedded with BATCH_MAX batches, and Redis
with N `python -m api.redis_worker` processes (a redis-server is started on a free port).

    python benchmarks/service_throughput.py --jobs 40 --clients 4 \
        --out docs/bench/service_throughput.json
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
from service_helpers import free_port, percentile, redis_server, wait_ready, write_report

ROOT = Path(__file__).resolve().parent.parent
CONTENT = (ROOT / "examples" / "content" / "chelsea.jpg").read_bytes()
STYLE = (ROOT / "core" / "styles" / "starry_night.jpg").read_bytes()


async def stream(base: str, jobs: int, clients: int, form: dict) -> dict:
    latencies: list[float] = []
    failures = 0
    left = jobs

    async with httpx.AsyncClient(base_url=base, timeout=600) as client:

        async def worker() -> None:
            nonlocal left, failures
            while left > 0:
                left -= 1
                started = time.perf_counter()
                r = await client.post(
                    "/jobs", data=form, files={"content": CONTENT, "style": STYLE}
                )
                if r.status_code != 202:
                    failures += 1
                    await asyncio.sleep(float(r.headers.get("retry-after", 1)))
                    continue
                job_id = r.json()["id"]
                while True:
                    status = (await client.get(f"/jobs/{job_id}")).json()["status"]
                    if status in ("succeeded", "failed", "cancelled"):
                        break
                    await asyncio.sleep(0.02)
                if status != "succeeded":
                    failures += 1
                    continue
                assert (await client.get(f"/jobs/{job_id}/result")).status_code == 200
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        seconds = time.perf_counter() - started
    return {
        "jobs": len(latencies),
        "failed_or_refused": failures,
        "seconds": round(seconds, 2),
        "jobs_per_s": round(len(latencies) / seconds, 3),
        "p50_s": round(statistics.median(latencies), 3),
        "p99_s": round(percentile(latencies, 0.99), 3),
    }


def spawn(args: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def run_mode(name: str, extra_env: dict, workers: int, args: argparse.Namespace) -> dict:
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "DEVICE": "cpu",
        "LOG_LEVEL": "WARNING",
        "QUEUE_SIZE": "64",
        "PREVIEW_EVERY": "0",
        **extra_env,
    }
    procs = [spawn([sys.executable, "-m", "api"], env)]
    if workers:
        # Each worker gets an equal share of the cores, as one would deploy them.
        threads = max(1, (os.cpu_count() or 1) // workers)
        worker_env = {**env, "OMP_NUM_THREADS": str(threads)}
        procs += [
            spawn([sys.executable, "-m", "api.redis_worker"], worker_env) for _ in range(workers)
        ]
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base)
        form = {"size": str(args.size), "steps": str(args.steps), "seed": "0"}
        asyncio.run(stream(base, max(2, workers) * 2, args.clients, form))  # warm every worker
        row = asyncio.run(stream(base, args.jobs, args.clients, form))
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)
    row = {"mode": name, "workers": workers, **row}
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--jobs", type=int, default=40)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--redis-workers", type=int, nargs="*", default=[1, 2])
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()

    rows = [
        run_mode("embedded", {}, 0, args),
        run_mode("embedded, BATCH_MAX=4", {"BATCH_MAX": "4"}, 0, args),
    ]
    if args.redis_workers:
        with redis_server() as url:
            for n in args.redis_workers if url else []:
                rows.append(run_mode(f"redis, {n} worker(s)", {"REDIS_URL": url}, n, args))
    report = {
        "job": {"size": args.size, "steps": args.steps, "clients": args.clients},
        "cpu_count": os.cpu_count(),
        "rows": rows,
    }
    write_report(report, args.out)


if __name__ == "__main__":
    main()

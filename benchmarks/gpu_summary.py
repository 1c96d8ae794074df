"""What benchmarks/gpu_check.py writes at the end: the machine, the test results read from
pytest's JUnit XML, the goals checked against the figures, and summary.md for people."""

from __future__ import annotations

import platform
import subprocess
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import torch

from benchmarks.floor import cpu_name

ROOT = Path(__file__).resolve().parent.parent


def environment(device: torch.device) -> dict:
    """The device, its software stack and the code that ran."""
    info: dict = {
        "device": str(device),
        "device_name": cpu_name(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu_name(),
        "cpu_threads": torch.get_num_threads(),
        "commit": _commit(),
    }
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        info |= {
            "device_name": props.name,
            "capability": f"{props.major}.{props.minor}",
            "memory_gib": round(props.total_memory / 2**30, 1),
            "multiprocessors": props.multi_processor_count,
        }
    return info


def junit_summary(path: Path) -> dict:
    """Counts and one row per test case from pytest's --junitxml file."""
    cases = []
    for case in ET.parse(path).getroot().iter("testcase"):
        outcome, message = "passed", None
        for tag, name in (("skipped", "skipped"), ("error", "error"), ("failure", "failed")):
            found = case.find(tag)
            if found is not None:  # the last match wins: a failure outranks a teardown error
                outcome, message = name, (found.get("message") or found.text or "")[:600]
        cases.append(
            {
                "name": f"{case.get('classname')}::{case.get('name')}",
                "outcome": outcome,
                "seconds": round(float(case.get("time") or 0), 2),
                **({"message": message} if message else {}),
            }
        )
    counts = Counter(c["outcome"] for c in cases)
    return {
        "total": len(cases),
        **{k: counts.get(k, 0) for k in ("passed", "failed", "error", "skipped")},
        "cases": cases,
    }


def check_goals(parts: dict, applicable: bool) -> list[dict]:
    """The performance goals, each met, not met, not measured, or not applicable (a CPU or
    smoke run measures other sizes on other hardware)."""
    presets = {(r["quality"], r["size"]): r for r in parts.get("presets", {}).get("rows", [])}
    batching = {r["variant"]: r for r in parts.get("batching", {}).get("rows", [])}
    goals = []

    def goal(name: str, met: bool | None, value: str | None) -> None:
        """met None: the figure was not measured."""
        if not applicable:
            status = "not applicable"
        elif met is None:
            status = "not measured"
        else:
            status = "met" if met else "not met"
        goals.append({"goal": name, "status": status, "value": value})

    balanced = presets.get(("balanced", 512), {})
    if "seconds" in balanced:
        goal(
            "balanced at 512 px in under 1 s", balanced["seconds"] < 1.0, f"{balanced['seconds']} s"
        )
        goal(
            "balanced at 512 px within 3x of its floor",
            balanced["x_floor"] <= 3.0,
            f"{balanced['x_floor']}x its floor of {balanced['floor_s']} s",
        )
    else:
        goal("balanced at 512 px in under 1 s", None, _missing(balanced))
        goal("balanced at 512 px within 3x of its floor", None, _missing(balanced))

    best = presets.get(("best", 1024), {})
    name = "best at 1024 px without running out of memory"
    if best.get("out_of_memory"):
        goal(name, False, best.get("error"))
    elif "seconds" in best:
        goal(name, True, f"{best['seconds']} s, peak {_mb(best['peak_memory_mb']) or '?'}")
    else:
        goal(name, None, _missing(best))

    one, batch = batching.get("one by one"), batching.get("batch of 8")
    name = "a batch of 8 jobs at 256 px: at least 3x the jobs/s of one at a time"
    if one and batch:
        goal(
            name,
            batch["jobs_per_s"] >= 3 * one["jobs_per_s"],
            f"{batch['jobs_per_s']} against {one['jobs_per_s']} jobs/s ({batch['speedup']}x)",
        )
    else:
        goal(name, None, None)
    return goals


def _missing(row: dict) -> str | None:
    """Why a figure has no value: skipped, or its error; None where it never started."""
    if "skipped" in row:
        return f"skipped: {row['skipped']}"
    return row.get("error")


def _commit() -> str | None:
    try:
        run = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
    except OSError:
        return None
    return run.stdout.strip() or None


# -- summary.md -------------------------------------------------------------------------


def markdown(summary: dict) -> str:
    """summary.json for people: the goals, the tests, and one table per part."""
    run, env, parts = summary["check"], summary.get("environment", {}), summary["parts"]
    lines = [
        f"# GPU check: {env.get('device_name', '?')} ({run['device']})",
        "",
        f"{run['started']}; {run['seconds']} s of a {run['budget_s']} s budget; "
        f"smoke run: {'yes' if run['smoke'] else 'no'}; outcome: **{run['status']}**.",
        f"torch {env.get('torch')}, CUDA {env.get('cuda')}, cuDNN {env.get('cudnn')}, "
        f"Python {env.get('python')}; commit {env.get('commit')}.",
        "",
        "| part | status | seconds | note |",
        "| --- | --- | --- | --- |",
    ]
    lines += [
        f"| {name} | {p['status']} | {p.get('seconds', '')} | {p.get('note', '')} |"
        for name, p in parts.items()
    ]
    lines += ["", "## Goals", "", "| goal | status | measured |", "| --- | --- | --- |"]
    lines += [f"| {g['goal']} | {g['status']} | {g['value'] or ''} |" for g in summary["goals"]]
    lines += _tests(parts.get("tests", {}))
    lines += _floor(parts.get("floor", {}))
    lines += _presets(parts.get("presets", {}))
    lines += _batching(parts.get("batching", {}))
    lines += _service(parts.get("service", {}))
    return "\n".join(lines) + "\n"


def _mb(value: int | None) -> str:
    return "" if value is None else f"{value} MiB"


def _tests(part: dict) -> list[str]:
    if "total" not in part:
        return []
    lines = [
        "",
        "## Tests (pytest -m gpu tests/gpu; junit.xml, pytest.log)",
        "",
        f"{part['passed']} passed, {part['failed']} failed, {part['error']} errors, "
        f"{part['skipped']} skipped of {part['total']}.",
        "",
        "| test | outcome | seconds |",
        "| --- | --- | --- |",
    ]
    lines += [f"| `{c['name']}` | {c['outcome']} | {c['seconds']} |" for c in part["cases"]]
    for case in part["cases"]:
        if case["outcome"] in ("failed", "error"):
            lines += ["", f"`{case['name']}`: {case.get('message', '')}"]
    return lines


def _floor(part: dict) -> list[str]:
    if "rows" not in part:
        return []
    rates = ", ".join(f"{k} {v} TFLOP/s" for k, v in part["matrix_tflops"].items())
    gflop = ", ".join(f"{v} GFLOP at {k} px" for k, v in part["iteration_gflop"].items())
    lines = [
        "",
        "## Floor (benchmarks/floor.py)",
        "",
        f"Dense matrix rate: {rates}. One iteration (forward + backward to the image): {gflop}.",
        "",
        "| size | variant | forward+backward | floor | x floor | TFLOP/s | peak GPU memory |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in part["rows"]:
        if "median_s" not in r:
            lines.append(f"| {r['size']} | {r['variant']} | {_missing(r)} | | | | |")
            continue
        lines.append(
            f"| {r['size']} | {r['variant']} | {r['median_s']} s | {r['floor_s']} s | "
            f"{r['x_floor']} | {r['achieved_tflops']} | {_mb(r['peak_memory_mb'])} |"
        )
    return lines


def _presets(part: dict) -> list[str]:
    if "rows" not in part:
        return []
    lines = [
        "",
        f"## Presets (benchmarks/engine_presets.py; {' / '.join(part['pair'])})",
        "",
        "| preset | size | time | iterations run / nominal | floor | x floor | peak GPU memory "
        "| content | style |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in part["rows"]:
        if "seconds" not in r:
            lines.append(f"| {r['quality']} | {r['size']} | {_missing(r)} | | | | | | |")
            continue
        lines.append(
            f"| {r['quality']} | {r['size']} | {r['seconds']} s | {r['steps_run']} / "
            f"{r['steps_nominal']} | {r['floor_s']} s | {r['x_floor']} | "
            f"{_mb(r['peak_memory_mb'])} | {r['content']} | {r['style']} |"
        )
    return lines


def _batching(part: dict) -> list[str]:
    if "rows" not in part:
        return []
    lines = [
        "",
        f"## Batching (benchmarks/batching.py; {part['jobs']} jobs at {part['size']} px, "
        f"{part['steps']} steps, {part['precision']}, median of {part['rounds']})",
        "",
        f"Peak GPU memory: {_mb(part['peak_memory_mb']) or 'not measured off CUDA'}.",
        "",
        "| variant | time | jobs/s | speedup | content | style |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {r['variant']} | {r['median_s']} s | {r['jobs_per_s']} | {r['speedup']}x | "
        f"{r['content']} | {r['style']} |"
        for r in part["rows"]
    ]
    return lines


def _service(part: dict) -> list[str]:
    if "startup_s" not in part:
        return []
    job = part.get("job", {})
    lines = [
        "",
        "## Service (python -m api; service.log)",
        "",
        f"Start-up to ready: {part['startup_s']} s (/readyz: {part.get('ready')}).",
        f"POST /stylize at {job.get('size')} px, {job.get('steps')} steps: HTTP "
        f"{part.get('job_status')} in {part.get('job_s')} s, {part.get('content_type')}, "
        f"image {part.get('image_size')}.",
    ]
    if "gpu_memory_in_use_mb" in part:
        lines.append(
            f"GPU memory the service holds after its job: {part['gpu_memory_in_use_mb']} MiB "
            "(device-wide use, less this process's)."
        )
    return lines

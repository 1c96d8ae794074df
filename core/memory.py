"""How large an image a device can optimise without running out of memory.

One optimisation step holds VGG19's activations up to relu5_1 for the backward pass (610
values per image pixel), their gradients while it runs, and the optimiser's state (L-BFGS
keeps 50 pairs of image-sized vectors). Measured peaks on the CPU were 2.3-3.1 KB per pixel
for the network (bf16 and fp32, 512-1024 px) plus 1.2 KB for L-BFGS's history; the budget
below rounds that up. docs/performance.md has the measurement.
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import traceback
from collections.abc import Iterator
from pathlib import Path

import torch

BYTES_PER_PIXEL = 4608  # per image in a batch, at the largest scale
USABLE_FRACTION = 0.8  # of the memory free when the engine starts


class TooLargeForDevice(ValueError):
    """The job would not fit in this device's memory; the message names the largest size."""


def available_bytes(device: torch.device) -> int:
    """Memory the engine may use on `device`: free GPU memory, or the host's MemAvailable.

    STYLIZE_MEMORY_BYTES overrides it (a container's share, or a GPU shared with others).
    """
    override = os.environ.get("STYLIZE_MEMORY_BYTES")
    if override:
        return int(override)
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        # Blocks the caching allocator holds but no tensor uses are free to this process.
        cached = torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device)
        return int(free + cached)
    return _host_available_bytes()


def max_pixels(device: torch.device, batch: int = 1) -> int:
    """Largest pixel count per image that fits `batch` images on `device`."""
    budget = available_bytes(device) * USABLE_FRACTION
    return int(budget / (BYTES_PER_PIXEL * max(1, batch)))


def max_side(device: torch.device, batch: int = 1, aspect: float = 4 / 3) -> int:
    """Largest long side (px) for images of `aspect` (long/short) that fits on `device`."""
    return int(math.sqrt(max_pixels(device, batch) * aspect))


def check_fits(device: torch.device, height: int, width: int, batch: int = 1) -> None:
    """Raise TooLargeForDevice, before any work starts, if the job would exhaust memory."""
    limit = max_pixels(device, batch)
    if height * width > limit:
        aspect = max(height, width) / min(height, width)
        raise TooLargeForDevice(
            f"{width}x{height} px is too large for this machine's memory; "
            f"at most {int(math.sqrt(limit * aspect))} px on the long side fits"
        )


# What an allocation failure says: torch.OutOfMemoryError on CUDA (and MPS), a RuntimeError
# from the CPU allocator, or Python's MemoryError.
_OOM_MESSAGES = ("out of memory", "can't allocate memory")


@contextlib.contextmanager
def out_of_memory_as_too_large(device: torch.device) -> Iterator[None]:
    """Turn running out of memory mid-job into TooLargeForDevice, after freeing what the job
    held, so that the caller reports it as a too-large job and the next job starts clean.

    check_fits runs before a job; this covers what it cannot foresee (another process
    taking the GPU's memory, a job larger than estimated).
    """
    failed = False
    try:
        yield
    except (MemoryError, RuntimeError) as exc:
        if isinstance(exc, TooLargeForDevice):
            raise
        if not isinstance(exc, MemoryError) and not any(
            m in str(exc).lower() for m in _OOM_MESSAGES
        ):
            raise
        failed = True
        # The error raised below keeps this one as its __context__, and with it the failed
        # job's frames and their tensors (activations, the optimiser's history): clear them.
        traceback.clear_frames(exc.__traceback__)
    # Outside the except block, so the failed job's frames and tensors are released.
    if failed:
        gc.collect()
        if device.type == "cuda":
            torch.cuda.empty_cache()
        raise TooLargeForDevice(
            "ran out of memory on this machine while stylizing; try a smaller size"
        )


def _host_available_bytes() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 8 * 1024**3  # no /proc (not Linux): assume a modest machine

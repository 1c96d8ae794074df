"""What the device tests share: the device they run on and the sizes that suit it.

The device is CUDA (DEVICE=cuda:N picks one); without a CUDA GPU every test here is skipped,
unless DEVICE=cpu SMOKE=1 asks for a smoke run on the CPU at tiny sizes, which proves that
each test runs but not the device's numbers (`make gpu-check DEVICE=cpu SMOKE=1`).
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass

import pytest
import torch

from core.features import VGGFeatures
from core.gatys import GatysStylizer

SMOKE = os.environ.get("SMOKE", "0") not in ("", "0")


def requested_device() -> str:
    name = os.environ.get("DEVICE", "cuda")
    if name == "cpu" and SMOKE:
        return "cpu"
    return name if name.startswith("cuda") else "cuda"


@dataclass(frozen=True)
class Scale:
    """Job sizes and tolerances for one kind of run."""

    side: int  # output long side, px
    steps: int  # optimiser iterations of a short job
    precision_steps: int | None  # bf16 against fp32; None: the preset's own schedule
    precision_rel: float  # relative difference allowed between their distances
    layout_pixels: float  # mean absolute pixel difference (0..1) allowed between layouts
    batch_steps: int  # enough for a batch's path to meet its jobs' (3 steps are not)
    trained_pixels: dict[str, float]  # trained network on the device against the CPU


GPU_SCALE = Scale(
    side=256,
    steps=10,
    # Near convergence (balanced, early stop), where the precisions meet: on the CPU 0.2%
    # apart at 256 px (docs/performance.md), 1-7% at 64-128 px.
    precision_steps=None,
    precision_rel=0.08,
    layout_pixels=0.02,
    batch_steps=30,
    trained_pixels={"fp32": 0.01, "bf16": 0.02},  # CPU bf16 measured 0.0005-0.002 at 256 px
)
# A smoke run proves that each path runs, on short jobs (bf16 and fp32 measured 4% apart
# at 64 px after 12 steps).
SMOKE_SCALE = Scale(
    side=64,
    steps=3,
    precision_steps=12,
    precision_rel=0.15,
    layout_pixels=0.02,
    batch_steps=12,
    trained_pixels={"fp32": 0.01, "bf16": 0.02},
)


@pytest.fixture(scope="session", params=[requested_device()])
def device(request) -> torch.device:
    chosen = torch.device(request.param)
    if chosen.type == "cuda" and not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU (DEVICE=cpu SMOKE=1 runs these on the CPU at tiny sizes)")
    return chosen


@pytest.fixture(scope="session")
def scale(device) -> Scale:
    return SMOKE_SCALE if SMOKE else GPU_SCALE


def stylizer_on(
    vgg: VGGFeatures,
    device: torch.device,
    autocast: torch.dtype | None = None,
    channels_last: bool | None = None,
) -> GatysStylizer:
    """A Gatys stylizer on `device` with its own copy of the network: the constructor moves
    the network it is given (and changes its layout) in place, and the CPU copy still serves
    core.metrics.distances."""
    return GatysStylizer(copy.deepcopy(vgg), device, autocast, channels_last=channels_last)

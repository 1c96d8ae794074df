"""Choosing the device and the fast settings that keep quality on it."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import torch

# CPU flags of native bf16 arithmetic; without them oneDNN emulates bf16 and it is slower.
NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def resolve_device(name: str = "auto") -> torch.device:
    """`auto` picks CUDA, then Apple's MPS, then the CPU; an unavailable choice is an error."""
    if name not in DEVICE_CHOICES and not name.startswith("cuda:"):
        raise ValueError(f"device must be one of {', '.join(DEVICE_CHOICES)}; got {name!r}")
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for but no CUDA GPU is available")
    if name == "mps" and not torch.backends.mps.is_available():
        raise ValueError("device 'mps' was asked for but Apple's MPS is not available")
    return torch.device(name)


def configure_backends(device: torch.device) -> None:
    """Per-process switches that speed convolutions up without changing results visibly."""
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes per scale: autotune pays off
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True


def default_autocast(device: torch.device) -> torch.dtype | None:
    """bf16 autocast where the hardware does it natively; STYLIZE_AUTOCAST=off|bf16 overrides."""
    choice = os.environ.get("STYLIZE_AUTOCAST", "auto").lower()
    if choice in ("off", "fp32", "none"):
        return None
    if choice == "bf16":
        return torch.bfloat16
    if native_bf16(device):
        return torch.bfloat16  # CPU: 1.7-1.9x faster, same distances: docs/performance.md
    return None


def native_bf16(device: torch.device) -> bool:
    """Whether `device` multiplies bf16 in hardware: a CUDA GPU that has it, a CPU with
    AVX512-BF16 or AMX. Elsewhere bf16 is emulated, slower than fp32 (an AVX2-only CPU: 0.002
    TFLOP/s), and oneDNN refuses its bf16 convolutions outright."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return device.type == "cpu" and cpu_has_native_bf16()


BF16_SKIPPED = "no native bf16 on this CPU (neither avx512_bf16 nor amx_bf16 in its flags)"


def prefers_channels_last(device: torch.device, autocast_dtype: torch.dtype | None) -> bool:
    """Whether convolutions run faster with channels-last tensors on `device`.

    CUDA: cuDNN's tensor-core kernels want NHWC. CPU: only with AMX and bf16, where oneDNN
    then picks its AMX kernels (brg_conv_*_amx) and skips a layout reorder around every
    convolution; without AMX it measured no faster (docs/performance.md).
    STYLIZE_CHANNELS_LAST=on|off overrides.
    """
    choice = os.environ.get("STYLIZE_CHANNELS_LAST", "auto").lower()
    if choice in ("on", "1", "true"):
        return True
    if choice in ("off", "0", "false"):
        return False
    if device.type == "cuda":
        return True
    return device.type == "cpu" and autocast_dtype == torch.bfloat16 and cpu_has_amx()


def cpu_flags() -> frozenset[str]:
    """The feature flags of this x86 CPU from /proc/cpuinfo (empty elsewhere)."""
    return _read_cpu_flags(Path("/proc/cpuinfo"))


@lru_cache(maxsize=4)
def _read_cpu_flags(path: Path) -> frozenset[str]:
    try:
        text = path.read_text()
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def cpu_has_native_bf16() -> bool:
    """Whether this x86 CPU multiplies bf16 natively (AVX512-BF16 or AMX); Linux only."""
    return any(flag in cpu_flags() for flag in NATIVE_BF16_FLAGS)


def cpu_has_amx() -> bool:
    """Whether this x86 CPU has AMX tiles that multiply bf16 (Sapphire Rapids and later)."""
    return {"amx_bf16", "amx_tile"} <= cpu_flags()


CPU_KINDS = ("amx", "avx512_bf16", "avx512", "avx2", "other")


def cpu_kind(flags: frozenset[str] | None = None) -> str:
    """Which kind of x86 CPU this is, as far as speed goes: 'amx' (bf16 matrix tiles),
    'avx512_bf16', 'avx512' (no bf16), 'avx2' (with FMA; most rented servers) or 'other'.
    Figures are only comparable between runs on the same kind."""
    flags = cpu_flags() if flags is None else flags
    if {"amx_bf16", "amx_tile"} <= flags:
        return "amx"
    if "avx512_bf16" in flags:
        return "avx512_bf16"
    if "avx512f" in flags:
        return "avx512"
    if {"avx2", "fma"} <= flags:
        return "avx2"
    return "other"

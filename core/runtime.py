"""Where the one-pass networks run on a CPU: eager PyTorch, or OpenVINO where it is installed.

On an AVX2-only CPU at 512 px (docs/performance.md, `benchmarks/runtimes.py`), OpenVINO runs
the feed-forward networks in 0.65x eager PyTorch's time and VGG19 and the decoders in 0.9x,
with the same numbers (relative error ~1e-6); no other runtime measured did better in fp32,
and int8 gains little where the CPU has no VNNI. Eager PyTorch stays the reference and the
fallback: on a GPU, without the package, or with STYLIZE_RUNTIME=eager. One compiled model
serves every batch and image size.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import os
import threading
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import torch
from torch import nn

RUNTIME_CHOICES = ("auto", "eager", "openvino")


def resolve_runtime(device: torch.device, choice: str | None = None) -> str:
    """`eager` or `openvino` for `device`; STYLIZE_RUNTIME=auto|eager|openvino chooses.

    `auto`: OpenVINO on a CPU where the package is installed, eager PyTorch elsewhere. Asking
    for OpenVINO where it cannot run is an error, not a silent fallback.
    """
    choice = (choice or os.environ.get("STYLIZE_RUNTIME", "auto")).lower()
    if choice not in RUNTIME_CHOICES:
        raise ValueError(
            f"STYLIZE_RUNTIME must be one of {', '.join(RUNTIME_CHOICES)}; got {choice!r}"
        )
    available = importlib.util.find_spec("openvino") is not None
    if choice == "openvino":
        if device.type != "cpu":
            raise ValueError(f"the openvino runtime runs on the CPU only; the device is {device}")
        if not available:
            raise ValueError("the openvino runtime needs the package: pip install openvino")
        return "openvino"
    if choice == "auto" and device.type == "cpu" and available:
        return "openvino"
    return "eager"


class OpenVINOModule:
    """A frozen network compiled by OpenVINO for the CPU, called like the module it came from.

    Every input is (B, C, ...) with any B and any sizes after C; the outputs come back as
    torch tensors (a tuple when the module returns several). `bf16`: let OpenVINO compute in
    bf16 (only where the CPU does natively, as the engine's autocast does); otherwise fp32.
    """

    def __init__(
        self,
        module: nn.Module,
        examples: Sequence[torch.Tensor],
        bf16: bool = False,
        part: str = "",
    ) -> None:
        # `part` tells apart graphs of the same weights with other outputs (two VGG19 slices).
        key = (part, _fingerprint(module), tuple((x.dim(), x.shape[1]) for x in examples), bf16)
        if key not in _COMPILED:
            _COMPILED[key] = _compile(module, examples, bf16, part)
        self.compiled = _COMPILED[key]
        self.outputs = len(self.compiled.outputs)
        # An infer request is not thread-safe; a job's calls come one after another.
        self._request = self.compiled.create_infer_request()
        self._lock = threading.Lock()

    def __call__(self, *inputs: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, ...]:
        feed = {i: x.detach().float().contiguous().cpu().numpy() for i, x in enumerate(inputs)}
        with self._lock:
            results = self._request.infer(feed)
            out = tuple(torch.from_numpy(results[i].copy()) for i in range(self.outputs))
        return out if self.outputs > 1 else out[0]


# Converting a network takes seconds; every engine of a process with the same weights (the
# tests make many) shares one compiled model.
_COMPILED: dict[tuple, Any] = {}


def _fingerprint(module: nn.Module) -> str:
    digest = hashlib.blake2b(type(module).__qualname__.encode(), digest_size=16)
    for name, tensor in module.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().float().contiguous().cpu().numpy().tobytes())
    return digest.hexdigest()


def _compile(module: nn.Module, examples: Sequence[torch.Tensor], bf16: bool, part: str) -> Any:
    # On a thread of its own: the job's autocast and inference mode are per thread, and under
    # them the tracer would copy and cast the weights into a graph it then rejects.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(_convert, module, examples, bf16, part).result()


def _convert(module: nn.Module, examples: Sequence[torch.Tensor], bf16: bool, part: str) -> Any:
    import openvino as ov

    # Traced in fp32 from a copy: the served network may be cast or laid out for eager use.
    module = copy.deepcopy(module).float().eval().requires_grad_(False)
    examples = tuple(x.detach().float().contiguous().clone() for x in examples)
    # Any batch and any size; only the channels (or mixture weights) are fixed.
    shapes = [ov.PartialShape([-1, x.shape[1], *[-1] * (x.dim() - 2)]) for x in examples]
    core = ov.Core()
    saved = _cache_path(module, examples, f"{part}|{ov.__version__}")
    if saved is not None and saved.exists():
        model = core.read_model(str(saved))
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes on constant shapes
            model = ov.convert_model(module, example_input=examples, input=shapes)
        if saved is not None:
            _save(ov, model, saved)
    config = {
        "INFERENCE_PRECISION_HINT": "bf16" if bf16 else "f32",
        "PERFORMANCE_HINT": "LATENCY",
        "INFERENCE_NUM_THREADS": torch.get_num_threads(),
    }
    return core.compile_model(model, "CPU", config)


def _cache_path(module: nn.Module, examples: Sequence[torch.Tensor], tag: str) -> Path | None:
    """Where the converted graph is kept between processes: tracing takes seconds, reading
    it back a few milliseconds. STYLIZE_CACHE_DIR (default ~/.cache/stylize); `off`: none."""
    root = os.environ.get("STYLIZE_CACHE_DIR", str(Path.home() / ".cache" / "stylize"))
    if root.lower() == "off":
        return None
    inputs = ",".join(f"{x.dim()}:{x.shape[1]}" for x in examples)
    # `tag`: the part (two VGG19 slices share their weights) and OpenVINO's version.
    digest = hashlib.blake2b(f"{_fingerprint(module)}|{inputs}|{tag}".encode(), digest_size=16)
    return Path(root) / "openvino" / f"{digest.hexdigest()}.xml"


def _save(ov: Any, model: Any, path: Path) -> None:
    """Write the graph under a temporary name and rename it, so a reader never sees half."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.xml")
        ov.save_model(model, str(tmp), compress_to_fp16=False)
        tmp.with_suffix(".bin").replace(path.with_suffix(".bin"))
        tmp.replace(path)
    except OSError as exc:  # a read-only home: convert again next time
        warnings.warn(f"could not keep the converted network in {path.parent}: {exc}", stacklevel=2)

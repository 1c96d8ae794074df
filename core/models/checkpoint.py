"""Checkpoint files of trained feed-forward models: the network, what it learnt, and how.

A shipped checkpoint holds fp16 weights (half the size, no visible change: the network runs
in fp32 or bf16 after loading) and its metadata: method, constructor config, the preset ids
and painting files it was trained on, and the training record (data, iterations, command).
Training state for resuming (optimisers, step, RNG) lives in a separate `.train` file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from core.models import ARBITRARY_METHODS, INVERTER, TRAINABLE_METHODS, build

FORMAT_VERSION = 1


@dataclass
class Checkpoint:
    method: str
    config: dict[str, Any]
    state: dict[str, torch.Tensor]
    styles: list[str]  # preset ids (or file stems) of the paintings it was trained on
    record: dict[str, Any] = field(default_factory=dict)  # data, iterations, command, losses

    def model(self, device: torch.device | str = "cpu") -> nn.Module:
        """The trained network in fp32 on `device`, in eval mode."""
        net = build(self.method, self.config)
        net.load_state_dict({k: v.float() for k, v in self.state.items()})
        return net.to(device).eval()


def save(path: str | Path, model: nn.Module, method: str, styles: list[str], record: dict) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to("cpu", torch.float16) for k, v in model.state_dict().items()}
    payload = {
        "format": FORMAT_VERSION,
        "method": method,
        "config": dict(model.config),  # type: ignore[arg-type]
        "state": state,
        "styles": list(styles),
        "record": record,
    }
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)  # a crash mid-write never leaves a broken checkpoint behind


def load(path: str | Path) -> Checkpoint:
    """Read a checkpoint; ValueError with the reason if it is not one this code can use."""
    try:
        payload = torch.load(Path(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file gets one clear message
        raise ValueError(f"{path}: not a readable checkpoint ({exc.__class__.__name__})") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT_VERSION:
        raise ValueError(f"{path}: not a stylize checkpoint of format {FORMAT_VERSION}")
    if payload["method"] not in TRAINABLE_METHODS:
        raise ValueError(f"{path}: unknown method {payload['method']!r}")
    return Checkpoint(
        payload["method"], payload["config"], payload["state"], payload["styles"],
        payload.get("record", {}),
    )  # fmt: skip


def index(paths: list[Path]) -> dict[str, list[str]]:
    """Each method and the presets its checkpoints in `paths` serve (unreadable: skipped):
    the paintings a per-style network learnt, every preset for the arbitrary-style ones."""
    from core.presets import PRESETS

    found: dict[str, list[str]] = {}
    for path in paths:
        try:
            checkpoint = load(path)
        except ValueError:
            continue
        if checkpoint.method == INVERTER:
            continue  # a part of adain's and the transformer's passes, not a method
        if checkpoint.method in ARBITRARY_METHODS:
            found.setdefault(checkpoint.method, []).extend(p.id for p in PRESETS)
        else:
            found.setdefault(checkpoint.method, []).extend(checkpoint.styles)
    return {method: sorted(set(styles)) for method, styles in found.items()}

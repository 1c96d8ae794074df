"""Feed-forward stylizers: a per-style CNN, a GAN-trained CNN and a transformer.

`build(method, config)` makes an untrained network; core.models.checkpoint saves and loads
trained ones; core.models.stylizers serves them behind the engine's Stylizer interface.
"""

from __future__ import annotations

from typing import Any

from torch import nn

FAST_METHODS = ("feedforward", "gan", "transformer")


def build(method: str, config: dict[str, Any] | None = None) -> nn.Module:
    """An untrained network for `method` with `config` (the keys of its constructor)."""
    config = config or {}
    if method in ("feedforward", "gan"):
        from core.models.feedforward import TransformNet

        return TransformNet(**config)
    if method == "transformer":
        from core.models.transformer import StyleTransformer

        return StyleTransformer(**config)
    raise ValueError(f"method must be one of {', '.join(FAST_METHODS)}; got {method!r}")

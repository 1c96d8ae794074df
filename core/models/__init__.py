"""One-pass stylizers: a per-style CNN, a GAN-trained CNN, and two networks that paint any
painting on the frozen VGG19 (AdaIN and attention, core/models/arbitrary.py), and the
decoders of their coarse-to-fine passes (core/models/cascade.py).

`build(method, config)` makes an untrained network; core.models.checkpoint saves and loads
trained ones; core.models.stylizers serves them behind the engine's Stylizer interface.
"""

from __future__ import annotations

from typing import Any

from torch import nn

FAST_METHODS = ("feedforward", "gan", "adain", "transformer")
# Read the painting through VGG19 at run time: any painting, no per-painting weights.
ARBITRARY_METHODS = ("adain", "transformer")
# Not a stylizer: a decoder that inverts VGG19 at one shallow level, for the coarse-to-fine
# passes of the arbitrary-style methods (core/models/cascade.py).
INVERTER = "inverter"
TRAINABLE_METHODS = (*FAST_METHODS, INVERTER)


def build(method: str, config: dict[str, Any] | None = None) -> nn.Module:
    """An untrained network for `method` with `config` (the keys of its constructor)."""
    config = config or {}
    if method in ("feedforward", "gan"):
        from core.models.feedforward import TransformNet

        return TransformNet(**config)
    if method in ARBITRARY_METHODS:
        from core.models.arbitrary import ArbitraryStyleNet

        transform = "adain" if method == "adain" else "attention"
        return ArbitraryStyleNet(**({"transform": transform} | config))
    if method == INVERTER:
        from core.models.cascade import LevelDecoder

        return LevelDecoder(**config)
    raise ValueError(f"method must be one of {', '.join(TRAINABLE_METHODS)}; got {method!r}")

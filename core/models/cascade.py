"""Coarse-to-fine passes after the relu4_1 pass: fine texture, line and paper.

A decoder from relu4_1 paints the painting's large-scale statistics, but the eye (and
core.metrics) also reads relu1_1..relu3_1: the stroke, the line, the grain of the paper. Each
pass here takes the current image, encodes it with the frozen VGG19 to one shallower level,
gives those features the painting's statistics at that level and decodes them back to
pixels (after Li et al., "Universal Style Transfer via Feature Transforms", NeurIPS 2017,
run coarse to fine from the relu4_1 output instead of from relu5_1).

The decoders are trained only to invert VGG19 (photos and paintings in, the same pictures
out: core.training.inversion), so they learn no painting and need no style loss. Each is a
mirror of VGG19 from its level to the pixels, pooling replaced by 2x nearest upsampling.

Transforms (core.models.transforms): `wct` matches the channel mean and full covariance
(the uncentred Gram matrix core.metrics scores), `efdm` each channel's whole histogram,
`adain` each channel's mean and spread.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from core.models.transforms import TRANSFORMS, LevelCode, encode_level, transform

LEVELS = ("relu3_1", "relu2_1", "relu1_1")  # the order the passes run in: coarse to fine
LEVEL_CHANNELS = {"relu1_1": 64, "relu2_1": 128, "relu3_1": 256}
LEVEL_MULTIPLE = {"relu1_1": 1, "relu2_1": 2, "relu3_1": 4}  # poolings before the level
PIXEL_SCALE = 1 / 255

# Each level's decoder: VGG19's convolutions from that level back to RGB, in reverse.
_MIRRORS: dict[str, tuple[tuple[int, int] | str, ...]] = {
    "relu1_1": ((64, 3),),
    "relu2_1": ((128, 64), "up", (64, 64), (64, 3)),
    "relu3_1": ((256, 128), "up", (128, 128), (128, 64), "up", (64, 64), (64, 3)),
}


class LevelDecoder(nn.Sequential):
    """VGG19 features at `level` (B, C, H/m, W/m) -> RGB (B, 3, H, W), about 0..1."""

    def __init__(self, level: str = "relu3_1") -> None:
        if level not in _MIRRORS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}; got {level!r}")
        layers: list[nn.Module] = []
        steps = _MIRRORS[level]
        for i, step in enumerate(steps):
            if step == "up":
                layers.append(nn.Upsample(scale_factor=2, mode="nearest"))
                continue
            cin, cout = step  # type: ignore[misc]
            # Reflection padding: zero padding shows as dark frames at the borders.
            layers.append(nn.Conv2d(cin, cout, 3, padding=1, padding_mode="reflect"))
            if i < len(steps) - 1:
                layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)
        self.config = {"level": level}
        # Each input channel is standardised by its mean and spread over the training
        # pictures (set once by the trainer, saved with the weights): VGG19's channels differ
        # in scale by orders of magnitude, which slowed Adam down tenfold.
        channels = LEVEL_CHANNELS[level]
        self.register_buffer("in_mean", torch.zeros(1, channels, 1, 1))
        self.register_buffer("in_scale", torch.full((1, channels, 1, 1), PIXEL_SCALE))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """(B, C, h, w) VGG19 features -> (B, 3, H, W) RGB about 0..1."""
        x = (features - self.in_mean.to(features.dtype)) * self.in_scale.to(features.dtype)
        return super().forward(x)

    @property
    def level(self) -> str:
        return self.config["level"]


@dataclass(frozen=True)
class LevelSetting:
    """How one pass runs: its statistics transform and how far it goes (0 = skipped)."""

    transform: str
    strength: float

    def __post_init__(self) -> None:
        if self.transform not in TRANSFORMS:
            raise ValueError(f"transform must be one of {', '.join(TRANSFORMS)}")
        if not 0 <= self.strength <= 2:
            raise ValueError("a level's strength must be between 0 and 2")


# The shipped settings, chosen on the eight presets x examples/content/ at 384 px, paintings
# and photos the scoring grid does not hold (benchmarks/cascade_levels.py --set validation;
# docs/models.md, "Coarse to fine"): the lowest style distance whose content distance stays
# at most half the painting's. Every pass trades content for style about one for one; relu1_1
# trades best (its Gram error was above a colour transfer's), relu3_1 worst, so only relu1_1
# runs by default, half way. The others stay loaded for settings that ask for them.
DEFAULT_SETTINGS = {
    "relu3_1": LevelSetting("wct", 0.0),
    "relu2_1": LevelSetting("wct", 0.0),
    "relu1_1": LevelSetting("wct", 0.5),
}


@dataclass
class CascadeCode:
    """A painting's statistics at every level of the cascade, computed once per job."""

    levels: dict[str, LevelCode] = field(default_factory=dict)


class Cascade(nn.Module):
    """The shallow passes: a decoder per level and the setting each level runs with.

    Levels without a decoder are skipped: the relu4_1 pass alone is the model as it was.
    """

    def __init__(self, settings: dict[str, LevelSetting] | None = None) -> None:
        super().__init__()
        self.decoders = nn.ModuleDict()
        self.settings = dict(DEFAULT_SETTINGS if settings is None else settings)

    def add(self, decoder: LevelDecoder) -> None:
        self.decoders[decoder.level] = decoder

    @property
    def levels(self) -> list[str]:
        """The levels that run, coarse to fine."""
        return [
            lv for lv in LEVELS
            if lv in self.decoders and lv in self.settings and self.settings[lv].strength > 0
        ]  # fmt: skip

    def encode_style(self, features: dict[str, torch.Tensor]) -> CascadeCode:
        """A painting's VGG19 features at each level -> what each transform needs of it."""
        return CascadeCode(
            {lv: encode_level(features[lv], self.settings[lv].transform) for lv in self.levels}
        )

    def run_level(
        self,
        level: str,
        features: torch.Tensor,
        codes: list[CascadeCode],
        weights: list[float],
        strength: float = 1.0,
    ) -> torch.Tensor:
        """One pass from the image's features at `level` to pixels: the paintings' statistics
        blended by `weights`, moved towards by the level's strength times `strength`."""
        setting = self.settings[level]
        total = sum(weights)
        target = sum(
            w / total * transform(features, code.levels[level], setting.transform)
            for code, w in zip(codes, weights, strict=True)
        )
        amount = setting.strength * strength
        if amount != 1.0:
            target = features.float() + amount * (target - features.float())
        return self.decoders[level](target.to(features.dtype))

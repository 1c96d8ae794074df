"""Closed-form statistics transforms: a photo's VGG19 features given a painting's statistics.

- `adain`: each channel's mean and spread (Huang & Belongie 2017).
- `wct`: the channels' mean and full covariance (whitening and colouring, Li et al. 2017).
  Mean and covariance together fix the uncentred Gram matrix that Gatys' loss and
  core.metrics compare. The whitening and colouring matrices are the symmetric (ZCA) square
  roots E diag(l^-1/2) E^T: flipping the sign of any eigenvector leaves them unchanged, so an
  eigen-solver's arbitrary signs can never flicker from one frame of a clip to the next
  (a PCA or Cholesky form would).
- `efdm`: each channel's whole histogram, matched exactly by sorting (Zhang et al., "Exact
  Feature Distribution Matching", CVPR 2022): the photo's k-th smallest value in a channel
  takes the painting's value at the same quantile.

Every transform computes in float32 (the eigen-solver in float64) whatever the autocast
dtype: bf16 sums over tens of thousands of positions lose the statistics.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

TRANSFORMS = ("adain", "wct", "efdm")
EPS = 1e-5
# Whitening divides by the square root of each eigenvalue: directions in which the photo
# barely varies (a flat sky) would have their noise blown up into blotches. Eigenvalues
# are floored at this fraction of the mean eigenvalue.
WHITEN_FLOOR = 1e-3
# A painting's histogram is kept as this many quantiles per channel: the exact sorted values
# of a 512 px painting at relu1_1 would be 64 MB, and 1/4096 of the range is finer than any
# difference the decoders show.
QUANTILES = 4096


@dataclass
class LevelCode:
    """One painting's statistics at one level: what its transform reads.

    adain: `mean` (B, C, 1) and `spread` (B, C, 1). wct: `mean` and `colour` (B, C, C), the
    square root of the covariance. efdm: `quantiles` (B, C, Q), each channel sorted.
    """

    mean: torch.Tensor
    spread: torch.Tensor | None = None
    colour: torch.Tensor | None = None
    quantiles: torch.Tensor | None = None


def _flat(features: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B, C, N) in float32."""
    return features.float().flatten(2)


def _covariance(x: torch.Tensor) -> torch.Tensor:
    """(B, C, N) centred -> (B, C, C) covariance in float64."""
    x = x.double()
    return x @ x.transpose(1, 2) / max(1, x.shape[-1] - 1)


def _sym_power(cov: torch.Tensor, power: float, floor: float = 0.0) -> torch.Tensor:
    """cov^power for symmetric positive semi-definite (B, C, C), eigenvalues floored at
    `floor` x their mean; float64 in, float32 out."""
    values, vectors = torch.linalg.eigh(cov)
    mean = values.mean(-1, keepdim=True).clamp_min(EPS)
    values = values.clamp_min(0) + floor * mean + EPS
    return ((vectors * values.pow(power).unsqueeze(-2)) @ vectors.transpose(1, 2)).float()


def encode_level(features: torch.Tensor, kind: str) -> LevelCode:
    """(B, C, H, W) painting features -> the statistics `kind` transfers."""
    x = _flat(features)
    mean = x.mean(-1, keepdim=True)
    if kind == "adain":
        spread = (x.var(-1, keepdim=True, correction=0) + EPS).sqrt()
        return LevelCode(mean, spread=spread)
    if kind == "wct":
        return LevelCode(mean, colour=_sym_power(_covariance(x - mean), 0.5))
    if kind == "efdm":
        ordered = x.sort(-1).values
        if ordered.shape[-1] > QUANTILES:
            index = torch.linspace(0, ordered.shape[-1] - 1, QUANTILES, device=x.device)
            ordered = ordered.index_select(-1, index.round().long())
        return LevelCode(mean, quantiles=ordered)
    raise ValueError(f"transform must be one of {', '.join(TRANSFORMS)}; got {kind!r}")


def transform(features: torch.Tensor, code: LevelCode, kind: str) -> torch.Tensor:
    """(B, C, H, W) photo features -> the same with the painting's statistics, float32.

    A code of batch 1 serves every sample of the batch (one painting, many frames)."""
    b, c, h, w = features.shape
    x = _flat(features)
    mean = x.mean(-1, keepdim=True)
    if kind == "adain":
        assert code.spread is not None
        spread = (x.var(-1, keepdim=True, correction=0) + EPS).sqrt()
        out = (x - mean) / spread * code.spread + code.mean
    elif kind == "wct":
        assert code.colour is not None
        centred = x - mean
        whiten = _sym_power(_covariance(centred), -0.5, WHITEN_FLOOR)
        out = code.colour @ (whiten @ centred) + code.mean
    elif kind == "efdm":
        assert code.quantiles is not None
        out = _match_histograms(x, code.quantiles)
    else:
        raise ValueError(f"transform must be one of {', '.join(TRANSFORMS)}; got {kind!r}")
    return out.reshape(b, c, h, w)


def _match_histograms(x: torch.Tensor, quantiles: torch.Tensor) -> torch.Tensor:
    """(B, C, N) values and (B|1, C, Q) sorted painting values -> each value replaced by the
    painting's at its rank's quantile (linear between the stored quantiles)."""
    n, q = x.shape[-1], quantiles.shape[-1]
    order = x.argsort(-1)
    position = torch.linspace(0, q - 1, n, device=x.device)  # rank k -> quantile index
    low = position.floor().long().clamp(max=q - 1)
    high = (low + 1).clamp(max=q - 1)
    frac = (position - low).view(1, 1, -1)
    quantiles = quantiles.expand(x.shape[0], -1, -1)
    ranked = quantiles[..., low] * (1 - frac) + quantiles[..., high] * frac  # (B, C, N)
    return torch.empty_like(x).scatter_(-1, order, ranked)

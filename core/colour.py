"""Colour preservation, after Gatys et al. 2017 ("Controlling Perceptual Factors in NST").

Two ways to keep the photo's colours:
- luminance: transfer style on luminance alone, then put the photo's chroma back (YIQ);
- histogram: recolour the painting to the photo's colour mean and covariance before transfer.
All tensors are (B, 3, H, W) RGB in 0..1.
"""

from __future__ import annotations

import torch

_RGB_TO_YIQ = torch.tensor(
    [
        [0.299, 0.587, 0.114],
        [0.595716, -0.274453, -0.321263],
        [0.211456, -0.522591, 0.311135],
    ]
)


def _apply(matrix: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
    return torch.einsum("ij,bjhw->bihw", matrix.to(image), image)


def rgb_to_yiq(image: torch.Tensor) -> torch.Tensor:
    return _apply(_RGB_TO_YIQ, image)


def yiq_to_rgb(image: torch.Tensor) -> torch.Tensor:
    return _apply(torch.linalg.inv(_RGB_TO_YIQ), image)


def luminance(image: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) -> (B, 3, H, W) grey image: Y replicated to three channels."""
    y = rgb_to_yiq(image)[:, :1]
    return y.expand(-1, 3, -1, -1).contiguous()


def match_luminance(style: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """Grey style image whose luminance has the content's mean and standard deviation."""
    y_style = rgb_to_yiq(style)[:, :1]
    y_content = rgb_to_yiq(content)[:, :1]
    y = (y_style - y_style.mean()) / (y_style.std() + 1e-6) * y_content.std() + y_content.mean()
    return y.clamp(0, 1).expand(-1, 3, -1, -1).contiguous()


def with_chroma_of(output: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """The output's luminance with the content's chroma (I, Q); sizes must match."""
    yiq = rgb_to_yiq(content)
    yiq[:, :1] = rgb_to_yiq(output)[:, :1]
    return yiq_to_rgb(yiq).clamp(0, 1)


def _mean_cov(image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    flat = image.transpose(0, 1).reshape(3, -1).double()
    mean = flat.mean(dim=1, keepdim=True)
    centred = flat - mean
    cov = centred @ centred.T / centred.shape[1] + 1e-5 * torch.eye(3, dtype=flat.dtype)
    return mean, cov


def _sqrt_and_inv_sqrt(cov: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    vals, vecs = torch.linalg.eigh(cov)
    vals = vals.clamp_min(1e-8)
    return (vecs * vals.sqrt()) @ vecs.T, (vecs * vals.rsqrt()) @ vecs.T


def match_colour_histogram(source: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Affinely recolour `source` so its colour mean and covariance equal `reference`'s."""
    return _recolour(source, *_mean_cov(reference))


def match_palette(
    source: torch.Tensor, references: list[torch.Tensor], weights: list[float] | tuple[float, ...]
) -> torch.Tensor:
    """`source` recoloured to the colour mean and covariance of the weighted mixture of the
    references' pixels: the palette that a blend of paintings asks for."""
    total = float(sum(weights))
    moments = [_mean_cov(r) for r in references]
    mean = sum(w / total * m for w, (m, _) in zip(weights, moments, strict=True))
    second = sum(w / total * (c + m @ m.T) for w, (m, c) in zip(weights, moments, strict=True))
    return _recolour(source, mean, second - mean @ mean.T)


def _recolour(source: torch.Tensor, mean_r: torch.Tensor, cov_r: torch.Tensor) -> torch.Tensor:
    mean_s, cov_s = _mean_cov(source)
    _, inv_sqrt_s = _sqrt_and_inv_sqrt(cov_s)
    sqrt_r, _ = _sqrt_and_inv_sqrt(cov_r)
    transform = sqrt_r @ inv_sqrt_s
    b, _, h, w = source.shape
    flat = source.transpose(0, 1).reshape(3, -1).double()
    out = transform @ (flat - mean_s) + mean_r
    return out.reshape(3, b, h, w).transpose(0, 1).to(source.dtype).clamp(0, 1)

"""A transformer stylizer in the manner of StyTr2 (Deng et al., CVPR 2022).

Content and style images become token sequences through a convolutional patch embedding
(one token per 8x8 patch, StyTr2's choice over VGG features: cheap at inference). A
transformer encoder layer runs over each sequence; then a transformer decoder lets every
content token attend to the content (self-attention) and to the style tokens
(cross-attention), and a convolutional decoder with resize-convolutions turns the tokens
back into pixels. Before the decoder layers, the content tokens take the style tokens'
per-channel statistics (AdaIN in token space), which gives the painting a direct path.
Positions are encoded from the content itself (StyTr2's content-aware
positional encoding: a 1x1 convolution of the pooled tokens, upsampled), so the encoding
follows the image's layout and works at any size. The style is any image given at
inference; the model does best on the kind of paintings it was trained on.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from core.models.blocks import ConvLayer, UpsampleConv

MAX_STYLE_TOKENS = 16 * 16  # style statistics survive pooling; attention cost stays bounded
PATCH = 8  # pixels per token side; inputs are padded to a multiple of it


class PatchEmbedding(nn.Sequential):
    """(B, 3, H, W) -> (B, dim, H/8, W/8): three strided convolutions."""

    def __init__(self, dim: int, width: int) -> None:
        super().__init__(
            ConvLayer(3, width, 3, stride=2, norm=False),
            ConvLayer(width, 2 * width, 3, stride=2, norm=False),
            ConvLayer(2 * width, dim, 3, stride=2, norm=False, relu=False),
        )


class ContentAwarePositions(nn.Module):
    def __init__(self, dim: int, grid: int = 18) -> None:
        super().__init__()
        self.grid = grid
        self.proj = nn.Conv2d(dim, dim, 1)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """(B, D, h, w) -> (B, D, h, w) positional encoding."""
        pooled = F.adaptive_avg_pool2d(tokens, self.grid)
        return F.interpolate(self.proj(pooled), size=tokens.shape[-2:], mode="bilinear",
                             align_corners=False)  # fmt: skip


def _encoder_layer(dim: int, heads: int) -> nn.TransformerEncoderLayer:
    return nn.TransformerEncoderLayer(
        dim, heads, dim_feedforward=2 * dim, dropout=0.0, batch_first=True, norm_first=True
    )


def match_statistics(tokens: torch.Tensor, style_tokens: torch.Tensor) -> torch.Tensor:
    """AdaIN (Huang & Belongie 2017) over the token axis: each channel of the content tokens
    takes the style tokens' mean and spread: a direct path for the painting besides
    attention (docs/models.md: short CPU runs still learnt to ignore the painting).
    """
    mu_c, sd_c = tokens.mean(1, keepdim=True), tokens.std(1, keepdim=True, correction=0)
    mu_s, sd_s = style_tokens.mean(1, keepdim=True), style_tokens.std(1, keepdim=True, correction=0)
    return (tokens - mu_c) / (sd_c + 1e-5) * sd_s + mu_s


class StyleTransformer(nn.Module):
    """(content RGB 0..1, style RGB 0..1) -> stylized RGB 0..1 of the content's size."""

    def __init__(self, dim: int = 128, heads: int = 4, layers: int = 2, width: int = 32) -> None:
        super().__init__()
        self.config = {"dim": dim, "heads": heads, "layers": layers, "width": width}
        self.content_embed = PatchEmbedding(dim, width)
        self.style_embed = PatchEmbedding(dim, width)
        self.positions = ContentAwarePositions(dim)
        self.content_encoder = _encoder_layer(dim, heads)
        self.style_encoder = _encoder_layer(dim, heads)
        self.decoder_layers = nn.ModuleList(
            nn.TransformerDecoderLayer(
                dim, heads, dim_feedforward=2 * dim, dropout=0.0, batch_first=True, norm_first=True
            )  # fmt: skip
            for _ in range(layers)
        )
        w = width
        self.to_pixels = nn.Sequential(
            ConvLayer(dim, 4 * w, 3, norm=False),
            UpsampleConv(4 * w, 2 * w),
            UpsampleConv(2 * w, w),
            UpsampleConv(w, w),
            ConvLayer(w, 3, 3, norm=False, relu=False),
        )

    def encode_style(self, style: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) style image -> (B, n, D) style tokens (reusable across contents)."""
        s = self.style_embed(style * 2 - 1)
        if s.shape[-2] * s.shape[-1] > MAX_STYLE_TOKENS:
            s = F.adaptive_avg_pool2d(s, int(MAX_STYLE_TOKENS**0.5))
        return self.style_encoder(s.flatten(2).transpose(1, 2))

    def forward(self, content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        return self.stylize_tokens(content, self.encode_style(style))

    def stylize_tokens(self, content: torch.Tensor, style_tokens: torch.Tensor) -> torch.Tensor:
        h_in, w_in = content.shape[-2:]
        pad_h, pad_w = (-h_in) % PATCH, (-w_in) % PATCH
        x = F.pad(content, (0, pad_w, 0, pad_h), mode="reflect") if pad_h or pad_w else content
        c = self.content_embed(x * 2 - 1)  # (B, D, h, w)
        b, d, h, w = c.shape
        c = c + self.positions(c)
        queries = self.content_encoder(c.flatten(2).transpose(1, 2))
        if style_tokens.shape[0] != b:
            style_tokens = style_tokens.expand(b, -1, -1)
        queries = match_statistics(queries, style_tokens)
        for layer in self.decoder_layers:
            queries = layer(queries, style_tokens)
        tokens = queries.transpose(1, 2).reshape(b, d, h, w)
        # The decoder predicts a change to the photo: structure survives from step one.
        out = torch.sigmoid(self.to_pixels(tokens) + torch.logit(x.clamp(0.02, 0.98)))
        return out[..., :h_in, :w_in]

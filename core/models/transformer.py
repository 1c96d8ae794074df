"""A transformer stylizer in the manner of StyTr2 (Deng et al., CVPR 2022).

The painting becomes a token sequence through a convolutional patch embedding (one token
per 8x8 patch, StyTr2's choice over VGG features: cheap at inference) and a transformer
encoder layer. The photo goes through the convolutional encoder of the feed-forward
network (core/models/feedforward.py) and a strided convolution to tokens of the same
size; a transformer encoder layer runs over them, they take the painting tokens'
per-channel statistics (AdaIN in token space), and transformer decoder layers let every
photo token attend to the photo (self-attention) and to the painting (cross-attention).
Positions are encoded from the content itself (StyTr2's content-aware positional
encoding: a 1x1 convolution of the pooled tokens, upsampled), so the encoding follows the
image's layout and works at any size.

The tokens are upsampled and added to the encoder's features, and a convolutional decoder
with residual blocks turns them into pixels. Its instance norms take their scale and shift
from the painting (conditional instance norm, Dumoulin et al. 2017): a plain instance
norm would wipe out the per-channel statistics that carry the painting, and the network
learnt one style for every painting. The style is any image given at inference; the model
does best on the kind of paintings it was trained on.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from core.models.blocks import ConvLayer

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
    takes the style tokens' mean and spread, a direct path for the painting besides
    attention. In float32: a near-constant channel's tiny spread is noise in bfloat16.
    """
    dtype = tokens.dtype
    tokens, style_tokens = tokens.float(), style_tokens.float()
    mu_c, sd_c = tokens.mean(1, keepdim=True), tokens.std(1, keepdim=True, correction=0)
    mu_s, sd_s = style_tokens.mean(1, keepdim=True), style_tokens.std(1, keepdim=True, correction=0)
    return ((tokens - mu_c) / (sd_c + 1e-3) * sd_s + mu_s).to(dtype)


class ModulatedNorm(nn.Module):
    """Instance norm whose per-channel scale and shift are predicted from a style code."""

    def __init__(self, channels: int, style_dim: int) -> None:
        super().__init__()
        self.norm = nn.InstanceNorm2d(channels, affine=False)
        self.to_scale_shift = nn.Linear(style_dim, 2 * channels)
        # Start as a plain instance norm (scale 1, shift 0); the painting's effect is learnt.
        nn.init.zeros_(self.to_scale_shift.weight)
        with torch.no_grad():
            self.to_scale_shift.bias.copy_(torch.cat([torch.ones(channels), torch.zeros(channels)]))

    def forward(self, x: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        scale, shift = self.to_scale_shift(code).chunk(2, dim=-1)
        return self.norm(x) * scale[..., None, None] + shift[..., None, None]


class ModulatedConv(nn.Module):
    """(optional 2x nearest upsampling), reflection-padded convolution, modulated norm, ReLU."""

    def __init__(
        self, cin: int, cout: int, style_dim: int, upsample: bool = False, relu: bool = True
    ) -> None:
        super().__init__()
        self.upsample = upsample
        self.conv = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(cin, cout, 3))
        self.norm = ModulatedNorm(cout, style_dim)
        self.relu = relu

    def forward(self, x: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        if self.upsample:
            x = F.interpolate(x, scale_factor=2, mode="nearest")
        x = self.norm(self.conv(x), code)
        return F.relu(x) if self.relu else x


class ModulatedResidual(nn.Module):
    def __init__(self, channels: int, style_dim: int) -> None:
        super().__init__()
        self.a = ModulatedConv(channels, channels, style_dim)
        self.b = ModulatedConv(channels, channels, style_dim, relu=False)

    def forward(self, x: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        return x + self.b(self.a(x, code), code)


def style_code(style_tokens: torch.Tensor) -> torch.Tensor:
    """(B, n, D) painting tokens -> (B, 2D): their per-channel mean and spread."""
    return torch.cat([style_tokens.mean(1), style_tokens.std(1, correction=0)], dim=-1)


class StyleTransformer(nn.Module):
    """(content RGB 0..1, style RGB 0..1) -> stylized RGB 0..1 of the content's size."""

    def __init__(
        self, dim: int = 128, heads: int = 4, layers: int = 2, width: int = 16, blocks: int = 3
    ) -> None:
        super().__init__()
        self.config = {"dim": dim, "heads": heads, "layers": layers, "width": width,
                       "blocks": blocks}  # fmt: skip
        w, code = width, 2 * dim
        self.style_embed = PatchEmbedding(dim, 2 * width)
        self.style_encoder = _encoder_layer(dim, heads)
        self.down = nn.Sequential(
            ConvLayer(3, w, 9),
            ConvLayer(w, 2 * w, 3, stride=2),
            ConvLayer(2 * w, 4 * w, 3, stride=2),
        )
        self.to_tokens = ConvLayer(4 * w, dim, 3, stride=2, norm=False, relu=False)
        self.positions = ContentAwarePositions(dim)
        self.content_encoder = _encoder_layer(dim, heads)
        self.decoder_layers = nn.ModuleList(
            nn.TransformerDecoderLayer(
                dim, heads, dim_feedforward=2 * dim, dropout=0.0, batch_first=True, norm_first=True
            )  # fmt: skip
            for _ in range(layers)
        )
        self.from_tokens = nn.Conv2d(dim, 4 * w, 1)
        self.res = nn.ModuleList(ModulatedResidual(4 * w, code) for _ in range(blocks))
        self.up = nn.ModuleList(
            [
                ModulatedConv(4 * w, 2 * w, code, upsample=True),
                ModulatedConv(2 * w, w, code, upsample=True),
            ]
        )
        self.to_rgb = ConvLayer(w, 3, 9, norm=False, relu=False)

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
        features = self.down(x * 2 - 1)  # (B, 4w, H/4, W/4)
        c = self.to_tokens(features)  # (B, D, H/8, W/8)
        b, d, h, w = c.shape
        if style_tokens.shape[0] != b:
            style_tokens = style_tokens.expand(b, -1, -1)
        c = c + self.positions(c)
        queries = self.content_encoder(c.flatten(2).transpose(1, 2))
        queries = match_statistics(queries, style_tokens)
        for layer in self.decoder_layers:
            queries = layer(queries, style_tokens)
        tokens = queries.transpose(1, 2).reshape(b, d, h, w)
        y = features + F.interpolate(self.from_tokens(tokens), scale_factor=2, mode="nearest")
        code = style_code(style_tokens)
        for block in self.res:
            y = block(y, code)
        for layer in self.up:
            y = layer(y, code)
        out = torch.sigmoid(self.to_rgb(y))
        return out[..., :h_in, :w_in]

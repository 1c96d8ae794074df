"""Johnson et al. 2016, "Perceptual Losses for Real-Time Style Transfer": one network per style.

Downsampling convolutions, residual blocks and resize-convolution upsampling, with instance
normalisation (Ulyanov et al. 2016) instead of batch normalisation. Widths are a quarter
of the paper's by default so that training fits a 2-core CPU; `width` scales them.
"""

from __future__ import annotations

import torch
from torch import nn

from core.models.blocks import ConvLayer, ResidualBlock, UpsampleConv


class TransformNet(nn.Module):
    """(B, 3, H, W) RGB 0..1 -> (B, 3, H, W) RGB 0..1, H and W multiples of 4."""

    def __init__(self, width: int = 16, blocks: int = 5) -> None:
        super().__init__()
        w = width
        self.config = {"width": width, "blocks": blocks}
        self.down = nn.Sequential(
            ConvLayer(3, w, 9),
            ConvLayer(w, 2 * w, 3, stride=2),
            ConvLayer(2 * w, 4 * w, 3, stride=2),
        )
        self.res = nn.Sequential(*(ResidualBlock(4 * w) for _ in range(blocks)))
        self.up = nn.Sequential(
            UpsampleConv(4 * w, 2 * w),
            UpsampleConv(2 * w, w),
            ConvLayer(w, 3, 9, norm=False, relu=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.up(self.res(self.down(x * 2 - 1)))
        return torch.sigmoid(y)

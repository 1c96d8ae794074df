"""Synthetic camera motion for a temporal loss: steady strokes learnt from still photos.

A clip's next frame is, to first order, the last one shifted, zoomed and turned a little,
plus sensor and compression noise. Each photo of a batch gets such a small random affine
motion; the network paints both the photo and its moved copy, and the painted photo, moved
by the same motion, must match the painted copy wherever both exist (Gao et al. 2018,
ReCoNet, with real flow; Wang et al. 2020 show that synthetic motion of still images teaches
the same consistency). Sub-pixel shifts and slight zooms are exactly what makes a
feed-forward network repaint its strokes elsewhere from frame to frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

MAX_SHIFT_PX = 6.0  # per frame: a brisk pan at 480p
MAX_ZOOM = 0.04  # 4 % closer or farther
MAX_TURN_DEG = 1.5
NOISE = 0.01  # grain, in 0..1 RGB
EDGE_PX = 4  # border pixels left out: reflection padding differs there by design


@dataclass
class Motion:
    """Per-sample sampling grids (B, H, W, 2) and where the moved image has content."""

    grid: torch.Tensor
    valid: torch.Tensor  # (B, 1, H, W) bool

    def apply(self, images: torch.Tensor) -> torch.Tensor:
        """Move (B, C, H, W) images by this motion (bicubic: little blur of its own)."""
        return F.grid_sample(
            images.float(), self.grid, mode="bicubic", padding_mode="border", align_corners=False
        )


def random_motion(
    batch: int, height: int, width: int, generator: torch.Generator, device: torch.device
) -> Motion:
    """A small random shift, zoom and turn per sample."""

    def uniform(scale: float) -> torch.Tensor:
        return (torch.rand(batch, generator=generator) * 2 - 1) * scale

    angle = uniform(math.radians(MAX_TURN_DEG))
    zoom = 1 + uniform(MAX_ZOOM)
    # affine_grid works in [-1, 1] coordinates: a pixel is 2 / side of them.
    dx, dy = uniform(MAX_SHIFT_PX) * 2 / width, uniform(MAX_SHIFT_PX) * 2 / height
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    aspect = height / width  # turn a square, not the [-1, 1] box
    theta = torch.stack(
        [
            torch.stack([cos, -sin * aspect, dx], 1),
            torch.stack([sin / aspect, cos, dy], 1),
        ],
        1,
    ).to(device)
    grid = F.affine_grid(theta, [batch, 1, height, width], align_corners=False)
    # Both ends of a match away from the borders: where the moved pixel came from, and
    # where it lands (a network paints its own edges differently, by design).
    inside = (grid.abs() <= 1 - 2 * EDGE_PX / max(height, width)).all(-1)
    inside[:, :EDGE_PX] = inside[:, -EDGE_PX:] = False
    inside[:, :, :EDGE_PX] = inside[:, :, -EDGE_PX:] = False
    return Motion(grid, inside[:, None])


def moved_copies(photos: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, Motion]:
    """The photos as the next frame of a moving camera would show them, and the motion."""
    b, _, h, w = photos.shape
    motion = random_motion(b, h, w, generator, photos.device)
    noise = torch.randn(photos.shape, generator=generator).to(photos.device) * NOISE
    moved = (motion.apply(photos) + noise).clamp(0, 1)
    layout = (
        torch.channels_last
        if photos.is_contiguous(memory_format=torch.channels_last)
        else torch.contiguous_format
    )
    return moved.to(dtype=photos.dtype, memory_format=layout), motion


def temporal_loss(
    painted: torch.Tensor, painted_moved: torch.Tensor, motion: Motion
) -> torch.Tensor:
    """Mean squared difference (0..1 RGB) between the painted moved copy and the painted
    photo moved the same way, over the pixels that the motion keeps in the frame."""
    expected = motion.apply(painted)
    mask = motion.valid.to(expected.dtype)
    error = (painted_moved.float() - expected).pow(2).mean(1, keepdim=True)
    return (error * mask).sum() / (mask.sum() + 1e-6)

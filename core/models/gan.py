"""A generator trained against a Markovian (patch) discriminator, after Li & Wand 2016 (MGAN).

The generator is the same resize-convolution network as `feedforward`; the discriminator
judges neural patches: it sees VGG19 relu3_1 activations of the painting and of the
generator's output and scores every location (its receptive field is a patch of the image),
with the hinge loss of Lim & Ye 2017. The perceptual losses of `feedforward` are kept so
that content survives and training is stable.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import spectral_norm

from core.models.feedforward import TransformNet

DISCRIMINATOR_LAYER = "relu3_1"  # 256 channels, 1/4 of the image size


class PatchDiscriminator(nn.Module):
    """(B, 256, h, w) VGG features -> (B, 1, h', w') real/fake scores, one per neural patch.

    With `styles` > 1 the last layer has one output per painting and each sample is judged
    by its own painting's head (the generator is then a multi-style network).
    """

    def __init__(self, in_channels: int = 256, width: int = 128, styles: int = 1) -> None:
        super().__init__()
        self.net = nn.Sequential(
            spectral_norm(nn.Conv2d(in_channels, width, 3, padding=1)),
            nn.LeakyReLU(0.2, inplace=True),
            spectral_norm(nn.Conv2d(width, width, 3, stride=2, padding=1)),
            nn.LeakyReLU(0.2, inplace=True),
            spectral_norm(nn.Conv2d(width, styles, 3, padding=1)),
        )

    def forward(self, features: torch.Tensor, style: torch.Tensor | None = None) -> torch.Tensor:
        # VGG activations of 0..255 images run into the hundreds; scaled to unit RMS per
        # sample, the discriminator judges the patterns, not the overall contrast.
        rms = features.pow(2).mean(dim=(1, 2, 3), keepdim=True).sqrt()
        scores = self.net(features / (rms + 1e-6))
        if style is None:
            return scores[:, :1]
        return scores.gather(1, style.view(-1, 1, 1, 1).expand(-1, 1, *scores.shape[-2:]))


def hinge_d_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return torch.relu(1 - real).mean() + torch.relu(1 + fake).mean()


def hinge_g_loss(fake: torch.Tensor) -> torch.Tensor:
    return -fake.mean()


Generator = TransformNet

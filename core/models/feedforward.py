"""Johnson et al. 2016, "Perceptual Losses for Real-Time Style Transfer", and its multi-style
form by Dumoulin et al. 2017, "A Learned Representation for Artistic Style".

Downsampling convolutions, residual blocks and resize-convolution upsampling, with instance
normalisation (Ulyanov et al. 2016) instead of batch normalisation. With `styles=None` the
network learns one painting (Johnson). With `styles=N` every instance norm has N scales and
shifts, one per painting, and everything else is shared (conditional instance norm): one
network serves N paintings, and a mixture of their scales and shifts blends them.

Widths are half of Johnson's by default (16-32-64 with `width=16` was a quarter) so that
training fits a CPU and a 512 px image still takes well under a second; `width` scales them.
"""

from __future__ import annotations

import torch
from torch import nn


class StyleInstanceNorm(nn.Module):
    """Instance norm with a learnt scale and shift, per painting when `styles` is given.

    `styles=None`: one (C,) scale and shift, the state of nn.InstanceNorm2d(affine=True).
    `styles=N`: (N, C) of each; a sample's are its mixture weights (B, N) times them.
    """

    def __init__(self, channels: int, styles: int | None = None) -> None:
        super().__init__()
        shape = (channels,) if styles is None else (styles, channels)
        self.weight = nn.Parameter(torch.ones(shape))
        self.bias = nn.Parameter(torch.zeros(shape))

    def forward(self, x: torch.Tensor, mix: torch.Tensor | None) -> torch.Tensor:
        # Statistics in fp32: bf16 means of 65k-pixel planes lose the digits that matter.
        dtype = x.dtype
        x = x.float()
        mean = x.mean(dim=(2, 3), keepdim=True)
        var = x.var(dim=(2, 3), keepdim=True, unbiased=False)
        x = (x - mean) * torch.rsqrt(var + 1e-5)
        if self.weight.dim() == 1:
            scale, shift = self.weight.view(1, -1, 1, 1), self.bias.view(1, -1, 1, 1)
        else:
            assert mix is not None, "a multi-style network needs the style mixture"
            scale = (mix @ self.weight.float())[:, :, None, None]
            shift = (mix @ self.bias.float())[:, :, None, None]
        return (x * scale + shift).to(dtype)


class StyleSequential(nn.Sequential):
    """A Sequential that hands the style mixture to the modules that use it."""

    def forward(self, x: torch.Tensor, mix: torch.Tensor | None = None) -> torch.Tensor:  # type: ignore[override]
        for module in self:
            if isinstance(module, StyleInstanceNorm | StyleSequential | StyleResidual):
                x = module(x, mix)
            else:
                x = module(x)
        return x


def conv_layer(
    cin: int,
    cout: int,
    kernel: int,
    stride: int = 1,
    styles: int | None = None,
    norm: bool = True,
    relu: bool = True,
    upsample: bool = False,
) -> StyleSequential:
    """[nearest x2 upsampling], reflection pad, convolution, [instance norm], [ReLU].

    Upsampling before a convolution (resize-convolution, Odena et al. 2016) avoids the
    checkerboard artefacts of transposed convolutions.
    """
    if upsample:
        inner = conv_layer(cin, cout, kernel, stride, styles, norm, relu)
        return StyleSequential(nn.Upsample(scale_factor=2, mode="nearest"), inner)
    layers: list[nn.Module] = [
        nn.ReflectionPad2d(kernel // 2),
        nn.Conv2d(cin, cout, kernel, stride),
    ]
    if norm:
        layers.append(StyleInstanceNorm(cout, styles))
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return StyleSequential(*layers)


class StyleResidual(nn.Module):
    def __init__(self, channels: int, styles: int | None) -> None:
        super().__init__()
        self.body = StyleSequential(
            conv_layer(channels, channels, 3, styles=styles),
            conv_layer(channels, channels, 3, styles=styles, relu=False),
        )

    def forward(self, x: torch.Tensor, mix: torch.Tensor | None) -> torch.Tensor:
        return x + self.body(x, mix)


class TransformNet(nn.Module):
    """(B, 3, H, W) RGB 0..1 -> (B, 3, H, W) RGB 0..1, H and W multiples of 4.

    `style`: for a multi-style network, each sample's painting as indices (B,) or as
    mixture weights (B, styles) that sum to 1; None for a single-style network.
    """

    def __init__(self, width: int = 16, blocks: int = 5, styles: int | None = None) -> None:
        super().__init__()
        w = width
        self.config: dict[str, int] = {"width": width, "blocks": blocks}
        if styles is not None:
            if styles < 1:
                raise ValueError("styles must be at least 1")
            self.config["styles"] = styles
        self.styles = styles
        self.down = StyleSequential(
            conv_layer(3, w, 9, styles=styles),
            conv_layer(w, 2 * w, 3, stride=2, styles=styles),
            conv_layer(2 * w, 4 * w, 3, stride=2, styles=styles),
        )
        self.res = StyleSequential(*(StyleResidual(4 * w, styles) for _ in range(blocks)))
        self.up = StyleSequential(
            conv_layer(4 * w, 2 * w, 3, styles=styles, upsample=True),
            conv_layer(2 * w, w, 3, styles=styles, upsample=True),
            conv_layer(w, 3, 9, norm=False, relu=False),
        )

    def mixture(
        self, style: torch.Tensor | None, batch: int, device: torch.device
    ) -> torch.Tensor | None:
        """(B, styles) mixture weights from indices or weights; None for one-style networks."""
        if self.styles is None:
            if style is not None:
                raise ValueError("this network learnt one painting; it takes no style")
            return None
        if style is None:
            raise ValueError(f"this network learnt {self.styles} paintings; say which")
        if style.dim() == 1:
            return nn.functional.one_hot(style.long(), self.styles).float().to(device)
        if style.shape != (batch, self.styles):
            raise ValueError(f"style mixture must be ({batch}, {self.styles})")
        return (style / style.sum(dim=1, keepdim=True)).float().to(device)

    def forward(self, x: torch.Tensor, style: torch.Tensor | None = None) -> torch.Tensor:
        mix = self.mixture(style, x.shape[0], x.device)
        y = self.up(self.res(self.down(x * 2 - 1, mix), mix), mix)
        return torch.sigmoid(y.float())

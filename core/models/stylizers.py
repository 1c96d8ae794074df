"""Trained one-pass networks behind the engine's Stylizer interface: no optimiser."""

from __future__ import annotations

import time
from collections.abc import Hashable, Sequence
from contextlib import AbstractContextManager, nullcontext

import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from core import colour
from core.devices import prefers_channels_last
from core.features import VGGFeatures, VGGSlice, to_caffe
from core.gatys import image_to_tensor, resize_tensor, tensor_to_image
from core.models.arbitrary import ENCODER_LAYER, StyleCode
from core.models.arbitrary import MULTIPLE as ARBITRARY_MULTIPLE
from core.models.cascade import Cascade
from core.models.checkpoint import Checkpoint
from core.params import StyleParams
from core.runtime import OpenVINOModule
from core.stylizer import Progress, ProgressCallback, StyleResult

MULTIPLE = 4  # the CNNs downsample twice; inputs are padded to a multiple of 4


class _OnePass:
    """What both kinds share: device, precision, sizing, strength and colour handling."""

    # preserve_color="histogram": Gatys recolours the painting to the photo's colour mean and
    # covariance before the transfer; a network holding its painting in its weights can only
    # recolour its output, with the same function (core.colour.match_colour_histogram).
    recolours_output = True

    def __init__(
        self,
        checkpoint: Checkpoint,
        device: torch.device,
        dtype: torch.dtype | None,
        runtime: str = "eager",
    ):
        self.checkpoint = checkpoint
        self.method = checkpoint.method
        self.styles = list(checkpoint.styles)
        self.device = device
        self.autocast_dtype = dtype
        self.net = checkpoint.model(device)
        self.memory_format = (
            torch.channels_last if prefers_channels_last(device, dtype) else torch.contiguous_format
        )
        self.net = self.net.to(memory_format=self.memory_format)
        # core.runtime: "openvino" compiles the frozen parts on their first call.
        self.runtime = runtime
        self._compiled: dict[Hashable, OpenVINOModule] = {}

    def _compile(self, key: Hashable, module: nn.Module, *examples: torch.Tensor) -> OpenVINOModule:
        if key not in self._compiled:
            bf16 = self.autocast_dtype == torch.bfloat16
            self._compiled[key] = OpenVINOModule(module, examples, bf16=bf16, part=repr(key))
        return self._compiled[key]

    def _layout(self, x: torch.Tensor) -> torch.Tensor:
        return x.contiguous(memory_format=self.memory_format)

    def _autocast(self) -> AbstractContextManager:
        if self.autocast_dtype is None:
            return nullcontext()
        return torch.autocast(self.device.type, dtype=self.autocast_dtype)

    def _finish(
        self,
        out: torch.Tensor,
        photo: torch.Tensor,
        params: StyleParams,
        started: float,
        progress: ProgressCallback | None,
        pixel_strength: bool = True,
    ) -> StyleResult:
        # strength < 1 mixes the photo back in; > 1 pushes further from it (clamped). The
        # arbitrary-style models apply it to their features instead (pixel_strength=False).
        strength = params.strength if pixel_strength else 1.0
        out = (photo + strength * (out.float() - photo)).clamp(0, 1)
        if params.preserve_color == "luminance":
            out = colour.with_chroma_of(out, photo)
        elif params.preserve_color == "histogram" and self.recolours_output:
            out = colour.match_colour_histogram(out, photo)
        image = tensor_to_image(out)
        if progress is not None:
            progress(Progress(1, 1, 0, image.size, {}, image if params.preview_every else None))
        return StyleResult(image, 1, time.perf_counter() - started, {})

    def _photo(self, content: Image.Image, params: StyleParams) -> torch.Tensor:
        return resize_tensor(image_to_tensor(content, self.device), params.output_size).clamp(0, 1)


class FeedForwardStylizer(_OnePass):
    """A network that learnt its paintings (`feedforward` or `gan`): one, or several with a
    scale and shift per painting (conditional instance norm), chosen by the job's preset."""

    def _style_index(self, params: StyleParams) -> torch.Tensor | None:
        if getattr(self.net, "styles", None) is None:
            return None
        if params.preset not in self.styles:
            raise ValueError(
                f"this {self.method} model learnt {', '.join(self.styles)}; "
                f"got {params.preset or 'no preset'}"
            )
        return torch.tensor([self.styles.index(params.preset)], device=self.device)

    @torch.inference_mode()
    def stylize(
        self,
        content: Image.Image,
        styles: Sequence[Image.Image],
        params: StyleParams,
        progress: ProgressCallback | None = None,
    ) -> StyleResult:
        del styles  # the painting was learnt in training
        started = time.perf_counter()
        photo = self._photo(content, params)
        h, w = photo.shape[-2:]
        x = _padded(photo, MULTIPLE)
        with self._autocast():
            out = self._run(self._layout(x), self._style_index(params))[..., :h, :w]
        return self._finish(out, photo, params, started, progress)

    def _run(self, x: torch.Tensor, style: torch.Tensor | None) -> torch.Tensor:
        if self.runtime == "eager":
            return self.net(x, style)
        if style is None:
            return self._compile("net", self.net, x)(x)
        # The compiled graph takes the painting as mixture weights: one graph for every preset.
        mix = self.net.mixture(style, x.shape[0], x.device)
        return self._compile("net", _WithMixture(self.net), x, mix)(x, mix)


def _padded(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """`x` reflected at its bottom and right up to sides that are multiples of `multiple`."""
    pad_h, pad_w = (-x.shape[-2]) % multiple, (-x.shape[-1]) % multiple
    return F.pad(x, (0, pad_w, 0, pad_h), mode="reflect") if pad_h or pad_w else x


def _upsample(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    return F.interpolate(x, size=size, mode="bicubic", align_corners=False)


class _WithMixture(nn.Module):
    """A multi-painting network called with (B, styles) mixture weights, for export."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor, mix: torch.Tensor) -> torch.Tensor:
        return self.net(x, mix)


class ArbitraryStylizer(_OnePass):
    """`adain` and `transformer`: any painting, given with the job (a preset's included),
    read by the engine's own VGG19 encoder (shared with Gatys: no second copy in memory).

    The painting's statistics are computed once per job, at the scale Gatys and
    core.metrics use (long side = the output's times `style_scale`). Several paintings
    blend their transformed features by `style_blend`; `strength` interpolates between the
    photo's features (0: the photo as the decoder gives it back) and the painting's (1),
    and extrapolates above 1.
    """

    recolours_output = False  # it recolours the paintings it is given, as Gatys does

    def __init__(
        self,
        checkpoint: Checkpoint,
        encoder: VGGFeatures,
        device: torch.device,
        dtype: torch.dtype | None,
        cascade: Cascade | None = None,
        runtime: str = "eager",
        paint_side: int | None = None,
    ) -> None:
        super().__init__(checkpoint, device, dtype, runtime)
        self.encoder = encoder
        # The shallow passes after relu4_1, shared by both families (and filled as the
        # engine loads their decoders); none: the relu4_1 pass alone.
        self.cascade = cascade if cascade is not None else Cascade()
        # The relu4_1 pass paints at most this long side and is upsampled; the shallow levels
        # then run at the output's size (None: everything at the output's size).
        self.paint_side: int | None = paint_side

    def _features(self, rgb: torch.Tensor, layers: tuple[str, ...]) -> dict[str, torch.Tensor]:
        """(B, 3, H, W) RGB 0..1 -> VGG19's activations at `layers`."""
        x = self._layout(to_caffe(rgb))
        if self.runtime == "eager":
            return self.encoder(x, layers)
        out = self._compile(layers, VGGSlice(self.encoder, layers), x)(x)
        return dict(zip(layers, out if isinstance(out, tuple) else (out,), strict=True))

    def _encode(self, rgb: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) RGB 0..1 -> relu4_1 features (B, 512, H/8, W/8)."""
        return self._features(rgb, (ENCODER_LAYER,))[ENCODER_LAYER]

    def _decode(self, features: torch.Tensor) -> torch.Tensor:
        if self.runtime == "eager":
            return self.net.decode(features)
        return self._compile("decoder", self.net.decoder, features)(features)

    @torch.inference_mode()
    def style_codes(
        self, styles: Sequence[Image.Image], params: StyleParams, photo: torch.Tensor
    ) -> list[StyleCode]:
        """Each painting's code at the job's scale (reusable for every frame of a clip)."""
        side = max(32, round(self._painted_side(params.output_size) * params.style_scale))
        paintings = [
            resize_tensor(image_to_tensor(s, self.device), side).clamp(0, 1) for s in styles
        ]
        if params.preserve_color == "histogram":
            paintings = [colour.match_colour_histogram(p, photo) for p in paintings]
        layers = (ENCODER_LAYER, *self.cascade.levels)
        codes = []
        with self._autocast():
            for painting in paintings:
                feats = self._features(painting, layers)
                code = self.net.encode_style(feats[ENCODER_LAYER])
                code.cascade = self.cascade.encode_style(feats)
                codes.append(code)
        return codes

    def _painted_side(self, output_side: int) -> int:
        """The long side the relu4_1 pass paints at for an output of `output_side`."""
        return min(output_side, self.paint_side) if self.paint_side else output_side

    @torch.inference_mode()
    def paint(
        self, photo: torch.Tensor, codes: Sequence[StyleCode], params: StyleParams
    ) -> torch.Tensor:
        """(B, 3, H, W) photos 0..1 and paintings' codes -> (B, 3, H, W) output, not clamped."""
        h, w = photo.shape[-2:]
        blend = params.style_blend or tuple(1.0 for _ in codes)
        side = self._painted_side(max(h, w))
        small = photo if side == max(h, w) else resize_tensor(photo, side).clamp(0, 1)
        with self._autocast():
            out = self._paint_relu4_1(small, codes, blend, params.strength)
            if out.shape[-2:] != (h, w):
                # Upsampled, with the photo's detail the smaller pass never saw added back.
                out = _upsample(out.float(), (h, w)) + (photo - _upsample(small, (h, w)))
            if self.cascade.levels:
                out = self._paint_levels(out, codes, blend, params.strength)
        return out.float()

    def _paint_relu4_1(
        self,
        photo: torch.Tensor,
        codes: Sequence[StyleCode],
        blend: Sequence[float],
        strength: float,
    ) -> torch.Tensor:
        h, w = photo.shape[-2:]
        feats = self._encode(_padded(photo, ARBITRARY_MULTIPLE))
        # Several paintings: Huang & Belongie's interpolation of the transformed features.
        target = sum(
            weight / sum(blend) * self.net.transform(feats, code)
            for code, weight in zip(codes, blend, strict=True)
        )
        target = feats.float() + strength * (target - feats.float())
        return self._decode(self._layout(target.to(feats.dtype)))[..., :h, :w]

    def _paint_levels(
        self,
        picture: torch.Tensor,
        codes: Sequence[StyleCode],
        blend: Sequence[float],
        strength: float,
    ) -> torch.Tensor:
        """Coarse to fine: each shallower level re-reads the picture so far."""
        h, w = picture.shape[-2:]
        out = _padded(picture.float().clamp(0, 1), ARBITRARY_MULTIPLE)
        cascade_codes = [code.cascade for code in codes]
        for level in self.cascade.levels:
            x = self._layout(to_caffe(out.float().clamp(0, 1)))
            level_feats = self.encoder(x, (level,))[level]
            out = self.cascade.run_level(level, level_feats, cascade_codes, list(blend), strength)
        return out[..., :h, :w]

    @torch.inference_mode()
    def stylize(
        self,
        content: Image.Image,
        styles: Sequence[Image.Image],
        params: StyleParams,
        progress: ProgressCallback | None = None,
    ) -> StyleResult:
        if not styles:
            raise ValueError(f"{self.method} needs a painting: a style image or a preset")
        started = time.perf_counter()
        photo = self._photo(content, params)
        out = self.paint(photo, self.style_codes(styles, params, photo), params)
        return self._finish(out, photo, params, started, progress, pixel_strength=False)

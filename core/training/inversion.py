"""Training of the cascade's decoders: each inverts the frozen VGG19 at one level.

A decoder for relu3_1, relu2_1 or relu1_1 (core.models.cascade.LevelDecoder) learns to give
back the picture whose features it is given, as in Li et al. 2017: no painting is learnt and
no style loss is needed, so the training that a style path would take (100k+ steps) is not
needed either. Half of each batch is photos, half paintings (data/styles/): the decoders
must also draw what a painting's statistics look like, not only what photos do.

- pixels: the relative squared error of the output to the picture;
- features (`content_weight`): the relative squared error of the output's VGG19 features to
  the picture's, at every ReLU from relu1_1 down to the level (the detail a pixel loss
  blurs away).

`InversionTrainer` shares the loop, logs, checkpoints and resume of
core.training.trainer.Trainer.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import torch
from torchvision.utils import save_image

from core.features import to_caffe
from core.models import INVERTER, build
from core.models.cascade import LEVELS
from core.models.checkpoint import load
from core.training.data import (
    PAINTING_JITTER,
    PAINTING_SCALE,
    ImageCrops,
    PhotoDataset,
    painting_files,
)
from core.training.trainer import TrainConfig, Trainer

# The ReLUs a level's feature loss reads: every first ReLU of a block down to the level.
FEATURE_LAYERS = {
    "relu1_1": ("relu1_1",),
    "relu2_1": ("relu1_1", "relu2_1"),
    "relu3_1": ("relu1_1", "relu2_1", "relu3_1"),
}


START_PICTURES = 32  # crops that set the input statistics (and a linear decoder's start)


def fit_least_squares(conv: torch.nn.Conv2d, inputs: torch.Tensor, targets: torch.Tensor) -> None:
    """Set a reflect-padded 3x3 convolution to the least-squares map from `inputs`
    (B, C, H, W) to `targets` (B, 3, H, W): the exact optimum of the pixel loss."""
    padded = torch.nn.functional.pad(inputs, (1, 1, 1, 1), mode="reflect")
    patches = torch.nn.functional.unfold(padded, 3).transpose(1, 2).flatten(0, 1)  # (BHW, 9C)
    design = torch.cat([patches, torch.ones_like(patches[:, :1])], 1).double()
    answer = targets.permute(0, 2, 3, 1).reshape(-1, targets.shape[1]).double()
    # Every third pixel is plenty for 9C+1 unknowns and keeps the solve small.
    solution = torch.linalg.lstsq(design[::3], answer[::3]).solution  # (9C+1, 3)
    weight = solution[:-1].T.reshape(conv.weight.shape)
    conv.weight.copy_(weight.to(conv.weight.dtype))
    conv.bias.copy_(solution[-1].to(conv.bias.dtype))


def relative_error(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of ||out - target||^2 / ||target||^2, per sample."""
    dims = tuple(range(1, out.dim()))
    error = (out.float() - target.float()).pow(2).mean(dims)
    return (error / (target.float().pow(2).mean(dims) + 1e-6)).mean()


class InversionTrainer(Trainer):
    """Trains one LevelDecoder to invert VGG19 at its level on photos and paintings."""

    def __init__(self, config: TrainConfig, on_step: Callable[[int, dict], None] | None = None):
        config.check()
        level = config.model.get("level")
        if config.method != "inverter" or level not in LEVELS:
            raise ValueError(f"InversionTrainer trains an inverter at one of {', '.join(LEVELS)}")
        self._prepare(config, on_step)
        self.level = level
        self.layers = FEATURE_LAYERS[level]
        self.photos = PhotoDataset(config.content_dir, config.size)
        files = painting_files(config.style_dirs, config.styles)
        self.painting_crops = (
            ImageCrops(files, config.size, PAINTING_JITTER, PAINTING_SCALE, what="paintings")
            if files
            else None
        )
        self.net = build("inverter", config.model).to(self.device, memory_format=self.memory_format)
        self.opt = self._optimizer()
        self.disc = None
        self.step = 0
        self.seconds = 0.0
        if config.resume is not None:
            self._load_state(config.resume)
        elif config.init_from is not None:
            self._start_from(config.init_from)
        else:
            self._start()
        self.samples = self._to_device(self._pictures(4, random.Random(1234)))

    @torch.no_grad()
    def _start(self) -> None:
        """Standardise the decoder's inputs on a sample of the data; a one-layer decoder
        (relu1_1) is linear in them and starts at its least-squares solution."""
        pictures = self._to_device(self._pictures(START_PICTURES, random.Random(-1)))
        features = self.vgg(to_caffe(pictures), (self.level,))[self.level].float()
        self.net.in_mean.copy_(features.mean((0, 2, 3), keepdim=True))
        self.net.in_scale.copy_(1 / (features.std((0, 2, 3), keepdim=True) + 1e-3))
        convs = [m for m in self.net if isinstance(m, torch.nn.Conv2d)]
        if len(convs) == 1:
            fit_least_squares(convs[0], (features - self.net.in_mean) * self.net.in_scale, pictures)

    def _start_from(self, path: Path) -> None:
        """Continue a shipped decoder (a new session, another machine): its weights and
        input statistics, a fresh optimiser."""
        checkpoint = load(path)
        if checkpoint.method != INVERTER or checkpoint.config != self.config.model:
            raise ValueError(f"{path} is not an inverter for {self.level}")
        self.net.load_state_dict({k: v.float() for k, v in checkpoint.state.items()})
        self.opt = self._optimizer()

    def _pictures(self, n: int, rng: random.Random) -> torch.Tensor:
        """`n` crops: photos, and paintings for half of them when there are paintings."""
        if self.painting_crops is None:
            return self.photos.batch(n, rng)
        half = n // 2
        return torch.cat([self.photos.batch(n - half, rng), self.painting_crops.batch(half, rng)])

    def _invert(self, pictures: torch.Tensor):
        """The decoder's output and the features of the pictures it was asked to give back."""
        with torch.no_grad():
            target = self.vgg(to_caffe(pictures), self.layers)
        out = self.net(target[self.level]).float()
        return out, target

    def train_step(self) -> dict[str, float]:
        self.net.train()
        cfg = self.config
        for group in self.opt.param_groups:
            group["lr"] = self.learning_rate()
        pictures = self._to_device(self._pictures(cfg.batch, self.rng))
        with self._autocast():
            out, target = self._invert(pictures)
            out_feats = self.vgg(to_caffe(out), self.layers)
        pixel = relative_error(out, pictures)
        features = torch.stack(
            [relative_error(out_feats[k], target[k]) for k in self.layers]
        ).mean()
        total = cfg.pixel_weight * pixel + cfg.content_weight * features
        self.opt.zero_grad(set_to_none=True)
        total.backward()
        if cfg.clip_grad > 0:
            torch.nn.utils.clip_grad_norm_(self.net.parameters(), cfg.clip_grad)
        self.opt.step()
        return {"total": total.item(), "content": features.item(), "pixel": pixel.item()}

    @torch.no_grad()
    def evaluate(self) -> float:
        self.net.eval()
        with self._autocast():
            out, _ = self._invert(self.samples)
        return relative_error(out, self.samples).item()

    @torch.no_grad()
    def write_samples(self) -> Path:
        """The pictures (top row) and what the decoder gives back (bottom row), one PNG."""
        self.net.eval()
        with self._autocast():
            out, _ = self._invert(self.samples)
        path = self.config.out.parent / "samples" / f"{self.config.out.stem}_{self.step:06d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        save_image(torch.cat([self.samples, out.clamp(0, 1)]), path, nrow=len(out))
        return path

    def record(self, losses: dict[str, float]) -> dict:
        record = super().record(losses)
        record["level"] = self.level
        if self.painting_crops is not None:
            record["paintings"] = {
                "folders": [str(p) for p in self.config.style_dirs],
                "count": len(self.painting_crops.images),
            }
        return record

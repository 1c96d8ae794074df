"""The temporal term of training: synthetic camera motion of still photos (core.training.motion)
and what a network trained with it learns, on tiny networks at small sizes."""

from __future__ import annotations

import pytest
import torch

from core.training import motion
from core.training.trainer import TrainConfig, Trainer
from tests.conftest import ROOT


def _photos(batch: int = 2, side: int = 64) -> torch.Tensor:
    # Smooth shapes with edges: what a camera sees, not noise.
    y, x = torch.meshgrid(torch.linspace(0, 1, side), torch.linspace(0, 1, side), indexing="ij")
    base = torch.stack([x, y, ((x - 0.5) ** 2 + (y - 0.4) ** 2 < 0.08).float()])
    return base.expand(batch, 3, side, side).contiguous()


def test_a_network_that_follows_the_motion_scores_only_the_grain():
    photos = _photos()
    moved, how = motion.moved_copies(photos, torch.Generator().manual_seed(0))
    follows = motion.temporal_loss(photos, moved, how)  # the identity "painter"
    assert follows < 3 * motion.NOISE**2
    # A painter whose strokes stay put on the canvas while the scene moves under them.
    strokes = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    stuck = motion.temporal_loss(photos * 0.5 + strokes, moved * 0.5 + strokes, how)
    assert stuck > 20 * follows


def test_the_motion_is_small_and_keeps_only_pixels_inside_the_frame():
    g = torch.Generator().manual_seed(0)
    side = 96
    how = motion.random_motion(8, side, side, g, torch.device("cpu"))
    identity = torch.nn.functional.affine_grid(
        torch.eye(2, 3).expand(8, 2, 3), [8, 1, side, side], align_corners=False
    )
    shift_px = ((how.grid - identity).abs() * side / 2).amax(dim=(1, 2, 3))
    # Shift, plus the zoom and the turn at the corners: a few pixels, never a jump.
    corner = side / 2 * (motion.MAX_ZOOM + torch.pi / 180 * motion.MAX_TURN_DEG) * 1.5
    assert (shift_px <= motion.MAX_SHIFT_PX + corner).all()
    assert (shift_px > 0.1).all()  # every sample does move
    assert not how.valid[:, :, :2].any() and not how.valid[:, :, :, -2:].any()
    assert how.valid.float().mean() > 0.7


def _steadiness(trainer: Trainer) -> float:
    """The temporal term on fixed photos and motions: lower = steadier strokes."""
    photos = trainer.sample_photos
    moved, how = motion.moved_copies(photos, torch.Generator().manual_seed(7))
    trainer.net.eval()
    with torch.no_grad():
        return motion.temporal_loss(trainer.net(photos), trainer.net(moved), how).item()


def test_the_temporal_term_trains_steadier_strokes(tmp_path, photo_dir):
    def run(weight: float, name: str) -> float:
        config = TrainConfig(
            method="feedforward", content_dir=photo_dir, out=tmp_path / f"{name}.pt",
            styles=[ROOT / "core" / "styles" / "starry_night.jpg"], size=64, batch=2,
            iterations=30, lr=5e-3, checkpoint_every=30, sample_every=30, device="cpu",
            model={"width": 8, "blocks": 1}, temporal_weight=weight,
        )  # fmt: skip
        trainer = Trainer(config)
        trainer.run()
        return _steadiness(trainer)

    assert run(300.0, "steady") < 0.7 * run(0.0, "plain")


def test_the_temporal_weight_is_checked():
    def config(weight: float) -> TrainConfig:
        return TrainConfig(
            method="feedforward", content_dir=ROOT, out=ROOT / "x.pt",
            styles=[ROOT / "core" / "styles" / "starry_night.jpg"], temporal_weight=weight,
        )  # fmt: skip

    with pytest.raises(ValueError, match="temporal_weight"):
        config(-1).check()
    config(0).check()


def test_the_arbitrary_trainer_takes_the_temporal_term(tmp_path, photo_dir):
    from core.training.arbitrary import ArbitraryTrainer

    config = TrainConfig(
        method="adain", content_dir=photo_dir, styles=[], out=tmp_path / "adain.pt",
        style_dirs=[ROOT / "core" / "styles"], size=48, batch=2, iterations=1,
        device="cpu", reconstruct=0.5, temporal_weight=100.0,
    )  # fmt: skip
    losses = ArbitraryTrainer(config).train_step()
    assert 0 < losses["temporal"] < 1
    assert losses["total"] > losses["content"] + config.style_weight * losses["style"]

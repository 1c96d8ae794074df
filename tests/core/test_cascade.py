"""The coarse-to-fine passes: the statistics transforms, the level decoders and their training."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from core.engine import SHIPPED_CHECKPOINTS, Engine
from core.features import to_caffe
from core.gatys import image_to_tensor
from core.models import INVERTER, build
from core.models.cascade import (
    DEFAULT_SETTINGS,
    LEVEL_CHANNELS,
    LEVEL_MULTIPLE,
    LEVELS,
    Cascade,
    LevelSetting,
)
from core.models.checkpoint import index, load
from core.models.transforms import QUANTILES, encode_level, transform
from core.training.factory import trainer_for
from core.training.inversion import FEATURE_LAYERS, InversionTrainer, relative_error
from core.training.trainer import TrainConfig
from tests.conftest import EXAMPLES


def _features(seed: int, channels: int = 16, side: int = 24, skew: float = 1.0) -> torch.Tensor:
    """Correlated, non-negative (ReLU-like) features of one picture: (1, C, side, side)."""
    g = torch.Generator().manual_seed(seed)
    mix = torch.randn(channels, channels, generator=g) * skew
    raw = torch.randn(1, channels, side * side, generator=g)
    return torch.relu(mix @ raw + 0.5).reshape(1, channels, side, side)


def _mean_cov(f: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    x = f.double().flatten(2)[0]
    mean = x.mean(1, keepdim=True)
    centred = x - mean
    return mean, centred @ centred.T / (x.shape[1] - 1)


def test_wct_gives_the_paintings_mean_and_covariance():
    photo, painting = _features(0), _features(1, skew=2.0)
    out = transform(photo, encode_level(painting, "wct"), "wct")
    (m_out, c_out), (m_paint, c_paint) = _mean_cov(out), _mean_cov(painting)
    (_, c_photo) = _mean_cov(photo)
    assert torch.allclose(m_out, m_paint, atol=1e-4)
    # Close to the painting's covariance, far from where the photo started.
    assert (c_out - c_paint).norm() < 0.02 * c_paint.norm()
    assert (c_photo - c_paint).norm() > 0.3 * c_paint.norm()


def test_adain_gives_each_channel_the_paintings_mean_and_spread_only():
    photo, painting = _features(0), _features(1, skew=2.0)
    out = transform(photo, encode_level(painting, "adain"), "adain").flatten(2)
    target = painting.flatten(2)
    assert torch.allclose(out.mean(-1), target.mean(-1), atol=1e-4)
    assert torch.allclose(out.std(-1, correction=0), target.std(-1, correction=0), rtol=1e-3)
    # ... and the photo's correlations between channels stay: not the painting's covariance.
    (_, c_out), (_, c_paint) = _mean_cov(out.view_as(photo)), _mean_cov(painting)
    assert (c_out - c_paint).norm() > 0.05 * c_paint.norm()


def test_efdm_gives_each_channel_the_paintings_histogram_in_the_photos_order():
    # No ties in the photo (a ReLU's zeros would have no order of their own).
    photo = _features(0) + 1e-3 * torch.rand(
        1, 16, 24, 24, generator=torch.Generator().manual_seed(3)
    )
    painting = _features(1, skew=2.0)
    out = transform(photo, encode_level(painting, "efdm"), "efdm")
    assert torch.allclose(out.flatten(2).sort(-1).values, painting.flatten(2).sort(-1).values,
                          atol=1e-5)  # fmt: skip
    # The order is the photo's: in each channel, a larger photo value never gets a smaller one.
    in_photo_order = out.flatten(2).gather(-1, photo.flatten(2).argsort(-1))
    assert (in_photo_order.diff(dim=-1) >= 0).all()


def test_a_large_paintings_histogram_is_kept_as_quantiles():
    painting = _features(1, channels=4, side=200)  # 40,000 values a channel
    code = encode_level(painting, "efdm")
    assert code.quantiles is not None and code.quantiles.shape[-1] == QUANTILES
    out = transform(_features(0, channels=4, side=100), code, "efdm")
    q = torch.tensor([0.1, 0.5, 0.9])
    assert torch.allclose(out.flatten().quantile(q), painting.flatten().quantile(q), rtol=0.02)


def test_wct_is_continuous_from_frame_to_frame():
    """Nearly the same frame gives nearly the same output: the symmetric whitening has no
    eigenvector sign to flip, as a PCA or Cholesky form would."""
    code = encode_level(_features(1, skew=2.0), "wct")
    frame = _features(0)
    g = torch.Generator().manual_seed(5)
    frames = [frame + 1e-4 * torch.randn(frame.shape, generator=g) for _ in range(4)]
    outs = [transform(f, code, "wct") for f in frames]
    for a, b in zip(outs, outs[1:], strict=False):
        assert (a - b).norm() < 1e-3 * a.norm()


def test_one_painting_serves_a_batch_of_frames():
    code = encode_level(_features(1), "wct")
    batch = torch.cat([_features(0), _features(2)])
    together = transform(batch, code, "wct")
    apart = torch.cat([transform(batch[i : i + 1], code, "wct") for i in range(2)])
    assert torch.allclose(together, apart, atol=1e-5)


@pytest.mark.parametrize("level", LEVELS)
def test_a_level_decoder_returns_pixels_at_the_pictures_size(level):
    decoder = build("inverter", {"level": level})
    m = LEVEL_MULTIPLE[level]
    out = decoder(torch.rand(2, LEVEL_CHANNELS[level], 64 // m, 48 // m))
    assert out.shape == (2, 3, 64, 48)


def test_a_level_setting_is_checked():
    with pytest.raises(ValueError, match="transform must be one of"):
        LevelSetting("pca", 1.0)
    with pytest.raises(ValueError, match="between 0 and 2"):
        LevelSetting("wct", -0.5)
    with pytest.raises(ValueError, match="level must be one of"):
        build("inverter", {"level": "relu4_2"})


def test_only_levels_with_a_decoder_and_a_strength_run():
    cascade = Cascade({"relu2_1": LevelSetting("wct", 1.0), "relu1_1": LevelSetting("efdm", 0)})
    assert cascade.levels == []
    cascade.add(build("inverter", {"level": "relu1_1"}))
    cascade.add(build("inverter", {"level": "relu2_1"}))
    assert cascade.levels == ["relu2_1"]  # relu1_1 at strength 0 is skipped
    cascade.add(build("inverter", {"level": "relu3_1"}))
    assert cascade.levels == ["relu2_1"]  # relu3_1 has no setting


def test_a_level_at_strength_zero_decodes_the_features_it_is_given():
    decoder = build("inverter", {"level": "relu1_1"}).eval()
    cascade = Cascade({"relu1_1": LevelSetting("wct", 1.0)})
    cascade.add(decoder)
    photo, painting = _features(0, channels=64), _features(1, channels=64, skew=2.0)
    code = cascade.encode_style({"relu1_1": painting})
    with torch.no_grad():
        kept = cascade.run_level("relu1_1", photo, [code], [1.0], strength=0.0)
        painted = cascade.run_level("relu1_1", photo, [code], [1.0], strength=1.0)
        assert torch.allclose(kept, decoder(photo), atol=1e-6)
        assert (painted - kept).abs().mean() > 1e-3
        # Halfway in features is halfway in pixels for this one-layer decoder.
        half = cascade.run_level("relu1_1", photo, [code], [1.0], strength=0.5)
        assert torch.allclose(half, (kept + painted) / 2, atol=1e-4)


def test_two_paintings_blend_by_their_weights():
    cascade = Cascade({"relu1_1": LevelSetting("adain", 1.0)})
    cascade.add(build("inverter", {"level": "relu1_1"}).eval())
    photo = _features(0, channels=64)
    a = cascade.encode_style({"relu1_1": _features(1, channels=64)})
    b = cascade.encode_style({"relu1_1": _features(2, channels=64, skew=3.0)})
    with torch.no_grad():
        only_a = cascade.run_level("relu1_1", photo, [a, b], [1.0, 0.0])
        only_b = cascade.run_level("relu1_1", photo, [a, b], [0.0, 1.0])
        both = cascade.run_level("relu1_1", photo, [a, b], [1.0, 1.0])
    assert torch.allclose(both, (only_a + only_b) / 2, atol=1e-4)
    assert (only_a - only_b).abs().mean() > 1e-3


def _upsampled(pictures: torch.Tensor, factor: int) -> torch.Tensor:
    small = F.avg_pool2d(pictures, factor) if factor > 1 else pictures
    return F.interpolate(small, scale_factor=factor, mode="bicubic").clamp(0, 1)


# -- training -------------------------------------------------------------------------------


def _inverter_config(tmp_path, photo_dir, level: str, **kwargs) -> TrainConfig:
    settings = {
        "method": "inverter", "content_dir": photo_dir, "styles": [], "out": tmp_path / "inv.pt",
        "size": 32, "batch": 2, "iterations": 6, "lr": 1e-3, "checkpoint_every": 3,
        "sample_every": 6, "model": {"level": level},
    }  # fmt: skip
    return TrainConfig(**(settings | kwargs))


def _pixel_error(trainer: InversionTrainer) -> float:
    with torch.no_grad():
        return trainer.evaluate()


def test_a_one_layer_decoder_starts_at_its_least_squares_inverse(tmp_path, photo_dir):
    trainer = trainer_for(_inverter_config(tmp_path, photo_dir, "relu1_1"))
    assert isinstance(trainer, InversionTrainer)
    # Before any step: relu1_1 is all but exactly invertible by one convolution; an untrained
    # one is nowhere near.
    assert _pixel_error(trainer) < 0.01
    fresh = build("inverter", {"level": "relu1_1"})
    trainer.net.load_state_dict(fresh.state_dict())
    assert _pixel_error(trainer) > 0.1


def test_an_inverter_run_learns_to_give_pictures_back_and_resumes(tmp_path, photo_dir):
    config = _inverter_config(tmp_path, photo_dir, "relu2_1", iterations=30, size=48)
    trainer = trainer_for(config)
    before = _pixel_error(trainer)
    out = trainer.run()
    assert _pixel_error(trainer) < 0.7 * before
    checkpoint = load(out)
    assert checkpoint.method == "inverter" and checkpoint.config == {"level": "relu2_1"}
    assert checkpoint.record["level"] == "relu2_1" and checkpoint.record["iterations"] == 30
    # in_mean and in_scale travel with the weights: the loaded network is the trained one.
    with torch.no_grad():
        x = torch.rand(1, 128, 8, 8) * 50
        loaded, trained = checkpoint.model()(x), trainer.net.eval()(x)
        assert (loaded - trained).norm() < 0.01 * trained.norm()  # fp16 weights in the file
    resumed = trainer_for(replace(config, iterations=33, resume=config.state_path))
    assert resumed.step == 30
    resumed.run()
    assert resumed.step == 33


def test_an_inverter_run_continues_a_shipped_decoder(tmp_path, photo_dir):
    shipped = SHIPPED_CHECKPOINTS / "inverter_relu1_1.pt"
    config = _inverter_config(tmp_path, photo_dir, "relu1_1", iterations=1, init_from=shipped)
    trainer = trainer_for(config)
    start = load(shipped).state
    assert torch.allclose(trainer.net.in_scale, start["in_scale"].float())
    wrong = _inverter_config(tmp_path, photo_dir, "relu2_1", init_from=shipped)
    with pytest.raises(ValueError, match="not an inverter for relu2_1"):
        trainer_for(wrong)


def test_the_cli_trains_an_inverter_and_names_a_missing_level(tmp_path, photo_dir, capsys):
    from core.training.cli import main

    base = ["--method", "inverter", "--content-dir", str(photo_dir), "--out",
            str(tmp_path / "i.pt"), "--size", "32", "--batch", "2", "--iterations", "2",
            "--quiet"]  # fmt: skip
    assert main(base) == 2
    assert "relu1_1" in capsys.readouterr().err
    assert main([*base, "--level", "relu1_1"]) == 0
    assert load(tmp_path / "i.pt").config == {"level": "relu1_1"}


# -- the shipped decoders ---------------------------------------------------------------------

SHIPPED = {lv: SHIPPED_CHECKPOINTS / f"inverter_{lv}.pt" for lv in LEVELS}


@pytest.mark.parametrize("level", LEVELS)
def test_each_shipped_decoder_gives_a_held_out_photo_back(vgg, level):
    """Better than the trivial inverse at the level's resolution (the photo shrunk to it and
    enlarged again, bicubic), scored by VGG19's features below the level: the detail."""
    photo = image_to_tensor(Image.open(EXAMPLES / "heldout" / "lemurs.jpg").convert("RGB"))
    photo = F.interpolate(photo, size=(192, 256), mode="bicubic", antialias=True).clamp(0, 1)
    decoder = load(SHIPPED[level]).model()
    layers = FEATURE_LAYERS[level]
    with torch.no_grad():
        target = vgg(to_caffe(photo), layers)
        out = decoder(target[level]).clamp(0, 1)

        def error(picture: torch.Tensor) -> float:
            feats = vgg(to_caffe(picture), layers)
            return sum(float(relative_error(feats[k], target[k])) for k in layers) / len(layers)

        ours = error(out)
        trivial = error(_upsampled(photo, 2 * LEVEL_MULTIPLE[level]))
    assert ours < 0.5 * trivial, (ours, trivial)
    assert float(relative_error(out, photo)) < 0.02


def test_the_engine_serves_the_decoders_as_passes_not_as_methods():
    engine = Engine.load("cpu")
    assert set(engine.cascade.decoders) == set(LEVELS)
    assert engine.cascade.levels == [lv for lv in LEVELS if DEFAULT_SETTINGS[lv].strength > 0]
    assert "inverter" not in engine.fast_models()
    assert INVERTER not in index(sorted(SHIPPED_CHECKPOINTS.glob("*.pt")))

"""The arbitrary-style networks (adain, transformer): transforms, training, serving.

Untrained or tiny networks at small sizes; the shipped checkpoints' quality on paintings
they never saw is tested in tests/core/test_arbitrary_quality.py.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from core.engine import Engine
from core.gatys import GatysStylizer
from core.models import arbitrary as arb
from core.models import build
from core.models.arbitrary import ArbitraryStyleNet, StyleCode, adain, mean_std
from core.models.checkpoint import load, save
from core.params import StyleParams
from core.training.arbitrary import ArbitraryTrainer
from core.training.cli import main as train_main
from core.training.trainer import TrainConfig
from tests.conftest import ROOT, make_photo

STYLES = ROOT / "core" / "styles"


@pytest.fixture(scope="module")
def painting_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("paintings")
    for name in ("starry_night", "the_scream", "shipwreck"):
        shutil.copy(STYLES / f"{name}.jpg", folder / f"{name}.jpg")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    return folder


def tiny_config(tmp_path, method, photo_dir, painting_dir, **changes) -> TrainConfig:
    base = TrainConfig(
        method=method, content_dir=photo_dir, styles=[], style_dirs=[painting_dir],
        out=tmp_path / f"{method}.pt", size=48, batch=2, iterations=4, checkpoint_every=2,
        sample_every=2, device="cpu", reconstruct=0.5,
    )  # fmt: skip
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def test_adain_gives_the_photo_the_paintings_channel_statistics():
    content = torch.randn(2, 8, 10, 12) * 3 + 1
    style = torch.randn(1, 8, 7, 9) * torch.rand(1, 8, 1, 1) * 5 - 2
    mean, std = mean_std(style)
    out = adain(content, mean, std)
    out_mean, out_std = mean_std(out)
    assert torch.allclose(out_mean, mean.expand_as(out_mean), atol=1e-4)
    assert torch.allclose(out_std, std.expand_as(out_std), atol=1e-3)
    # the layout of the photo is kept: same order of values within each channel
    assert torch.corrcoef(torch.stack([out[0, 0].flatten(), content[0, 0].flatten()]))[0, 1] > 0.999


def test_attention_with_uniform_weights_is_adain():
    torch.manual_seed(0)
    net = ArbitraryStyleNet("attention", dim=16)
    torch.nn.init.zeros_(net.attention.query.weight)  # every logit 0: uniform attention
    torch.nn.init.zeros_(net.attention.query.bias)
    content, style = torch.randn(1, 512, 6, 5), torch.rand(1, 512, 9, 7) * 4
    code = net.encode_style(style)
    same = adain(content, code.mean, code.std)
    assert torch.allclose(net.transform(content, code), same, atol=1e-3)


def test_attention_takes_each_positions_statistics_from_where_it_looks():
    """Two regions in the painting; queries matching one take that region's statistics."""
    torch.manual_seed(0)
    net = ArbitraryStyleNet("attention", dim=512)
    eye = torch.eye(512).view(512, 512, 1, 1) * 50  # sharp attention on feature similarity
    net.attention.query.weight.data.copy_(eye)
    net.attention.key.weight.data.copy_(eye)
    net.attention.query.bias.data.zero_()
    net.attention.key.bias.data.zero_()
    style = torch.zeros(1, 512, 4, 8)
    style[:, :256, :, :4] = 5.0  # left half: the first channels high
    style[:, 256:, :, 4:] = 5.0  # right half: the others
    content = torch.zeros(1, 512, 2, 2)
    content[:, :256, :, 0] = 1.0  # left column of the photo looks like the left half
    content[:, 256:, :, 1] = 1.0
    out = net.transform(content, net.encode_style(style))
    assert out[0, :256, :, 0].mean() > out[0, :256, :, 1].mean() + 2
    assert out[0, 256:, :, 1].mean() > out[0, 256:, :, 0].mean() + 2


def test_attention_in_chunks_equals_attention_at_once(monkeypatch):
    torch.manual_seed(1)
    net = ArbitraryStyleNet("attention", dim=32)
    content, style = torch.randn(1, 512, 9, 11), torch.rand(1, 512, 60, 50)
    code = net.encode_style(style)
    assert code.keys.shape[1] <= arb.MAX_STYLE_SIDE**2  # a large painting is pooled
    whole = net.transform(content, code)
    monkeypatch.setattr(arb, "QUERY_CHUNK", 7)
    assert torch.allclose(net.transform(content, code), whole, atol=1e-5)


@pytest.mark.parametrize("method", ["adain", "transformer"])
def test_any_size_in_any_size_out(method):
    net = build(method)
    code = net.encode_style(torch.rand(1, 512, 13, 21))
    feats = torch.rand(3, 512, 5, 7)  # one painting, three photos
    out = net(feats, code)
    assert out.shape == (3, 3, 40, 56)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert net(feats, code).shape == (3, 3, 40, 56)


def test_style_code_expands_to_a_batch():
    code = StyleCode(torch.zeros(1, 4, 1, 1), torch.ones(1, 4, 1, 1), torch.zeros(1, 3, 2), None)
    grown = code.expand(5)
    assert grown.mean.shape[0] == grown.std.shape[0] == grown.keys.shape[0] == 5
    assert grown.values is None


def test_unknown_transform_is_refused():
    with pytest.raises(ValueError, match="transform must be one of"):
        ArbitraryStyleNet("wct")


# -- training -----------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["adain", "transformer"])
def test_training_lowers_the_loss_and_writes_what_it_promises(
    tmp_path, photo_dir, painting_dir, method
):
    config = tiny_config(tmp_path, method, photo_dir, painting_dir, iterations=16, lr=1e-3,
                         sample_every=8)  # fmt: skip
    trainer = ArbitraryTrainer(config)
    assert len(trainer.painting_crops.images) == 3  # the broken file was skipped
    before = trainer.evaluate()
    trainer.run()
    assert trainer.evaluate() < 0.9 * before
    checkpoint = load(config.out)
    assert checkpoint.method == method
    assert checkpoint.record["paintings"]["count"] == 3
    assert checkpoint.record["iterations"] == 16
    samples = sorted((tmp_path / "samples").glob(f"{method}_*.png"))
    assert [p.name for p in samples] == [f"{method}_000008.png", f"{method}_000016.png"]
    rows = config.out.with_suffix(".csv").read_text().splitlines()
    assert rows[-1].startswith("16,")


def test_a_photos_only_run_needs_no_paintings_and_learns_to_give_the_photo_back(
    tmp_path, photo_dir
):
    config = TrainConfig(
        method="adain", content_dir=photo_dir, styles=[], out=tmp_path / "photos.pt", size=48,
        batch=2, iterations=16, lr=1e-3, reconstruct=1.0, device="cpu", sample_every=100,
    )  # fmt: skip
    trainer = ArbitraryTrainer(config)
    assert trainer.painting_crops is None
    assert torch.equal(trainer.sample_styles, trainer.sample_photos)  # its own painting
    before = trainer.evaluate()
    trainer.run()
    assert trainer.evaluate() < 0.9 * before
    with pytest.raises(ValueError, match="at least one style image"):
        ArbitraryTrainer(TrainConfig(method="adain", content_dir=photo_dir, styles=[],
                                     out=tmp_path / "x.pt", reconstruct=0.5))  # fmt: skip


def test_training_resumes_where_it_stopped(tmp_path, photo_dir, painting_dir):
    first = tiny_config(tmp_path, "adain", photo_dir, painting_dir, iterations=2)
    ArbitraryTrainer(first).run()
    resumed = ArbitraryTrainer(
        tiny_config(tmp_path, "adain", photo_dir, painting_dir, iterations=3,
                    resume=first.state_path)
    )  # fmt: skip
    assert resumed.step == 2
    resumed.run()
    assert load(first.out).record["iterations"] == 3


def test_the_transformer_starts_from_adains_decoder(tmp_path, photo_dir, painting_dir):
    first = tiny_config(tmp_path, "adain", photo_dir, painting_dir, iterations=2)
    ArbitraryTrainer(first).run()
    theirs = load(first.out).model().state_dict()
    config = tiny_config(tmp_path, "transformer", photo_dir, painting_dir, init_from=first.out)
    trainer = ArbitraryTrainer(config)
    mine = trainer.net.state_dict()
    assert {k for k in mine if k.startswith("attention.")}  # new, trained from scratch
    for name, value in theirs.items():
        assert torch.equal(mine[name], value.float()), name
    per_style = TrainConfig(
        method="feedforward",
        content_dir=photo_dir,
        styles=[STYLES / "starry_night.jpg"],
        out=tmp_path / "ff.pt",
        size=48,
        batch=2,
        iterations=1,
        model={"width": 8, "blocks": 1},
    )
    from core.training.trainer import Trainer

    Trainer(per_style).run()
    with pytest.raises(ValueError, match="not an arbitrary-style one"):
        ArbitraryTrainer(tiny_config(tmp_path, "adain", photo_dir, painting_dir,
                                     init_from=per_style.out))  # fmt: skip


def test_the_cli_trains_from_a_folder_of_paintings(tmp_path, photo_dir, painting_dir):
    code = train_main(
        ["--method", "adain", "--content-dir", str(photo_dir), "--style-dir", str(painting_dir),
         "--style", str(STYLES / "zigzags.jpg"), "--size", "48", "--batch", "2",
         "--iterations", "1", "--reconstruct", "0.5", "--out", str(tmp_path / "a.pt"), "--quiet"]
    )  # fmt: skip
    assert code == 0
    assert load(tmp_path / "a.pt").record["paintings"]["count"] == 4
    bad = train_main(
        ["--method", "feedforward", "--content-dir", str(photo_dir), "--style",
         str(STYLES / "zigzags.jpg"), "--reconstruct", "0.5", "--out", str(tmp_path / "b.pt")]
    )  # fmt: skip
    assert bad == 2  # a per-style network has no reconstruction samples


# -- serving ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine(vgg, tmp_path_factory):
    """An engine with untrained adain and transformer networks (decoders at random)."""
    folder = tmp_path_factory.mktemp("ckpt")
    torch.manual_seed(0)
    engine = Engine(GatysStylizer(vgg, "cpu"))
    for method in ("adain", "transformer"):
        save(folder / f"{method}.pt", build(method), method, ["some_painting"], {})
        engine.add_checkpoint(folder / f"{method}.pt")
    return engine


def _pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.float32)


@pytest.mark.parametrize("method", ["adain", "transformer"])
def test_served_for_every_preset_and_any_painting(engine, method):
    assert method in engine.methods_for("zigzags")
    photo, painting = make_photo(90, 60), make_photo(50, 70, seed=4)
    own = engine.stylize(photo, [painting], StyleParams(method=method, size=64))
    assert own.image.size == (64, 43)
    with pytest.raises(ValueError, match="needs a painting"):
        engine.stylize(photo, [], StyleParams(method=method, size=64))


@pytest.mark.parametrize("method", ["adain", "transformer"])
def test_strength_and_blend_move_between_the_photos_features_and_the_paintings(engine, method):
    photo = make_photo(64, 64)
    stripes, dots = make_photo(64, 64, seed=7), Image.effect_noise((64, 64), 90).convert("RGB")

    def run(styles, **params):
        result = engine.stylize(photo, styles, StyleParams(method=method, size=64, **params))
        return _pixels(result.image)

    zero, half, full = (run([stripes], strength=s) for s in (0.0, 0.5, 1.0))
    # strength interpolates the decoded features: half way sits between the two ends
    assert 0 < np.abs(half - zero).mean() < np.abs(full - zero).mean()
    only_a = run([stripes, dots], style_blend=(1.0, 0.0))
    assert np.abs(only_a - full).mean() < 1.0  # weight 0: the second painting does nothing
    mixed = run([stripes, dots], style_blend=(1.0, 1.0))
    other = run([dots])
    assert np.abs(mixed - full).mean() > 1.0 and np.abs(mixed - other).mean() > 1.0


def test_full_quality_refines_adains_picture_of_any_painting(engine):
    assert engine.preview_method(None) == "adain"  # a painting that is no preset
    photo, painting = make_photo(64, 48), make_photo(40, 40, seed=5)
    params = StyleParams(size=64, steps=2, quality="fast", init="preview")
    result = engine.stylize(photo, [painting], params)
    assert result.image.size == (64, 48) and result.steps > 0

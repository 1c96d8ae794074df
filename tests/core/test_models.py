"""The per-style families: shapes, a few real training steps, checkpoints, serving.

The arbitrary-style ones (adain, transformer): tests/core/test_arbitrary.py."""

from __future__ import annotations

import logging
import random
import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from core.engine import Engine
from core.features import to_caffe
from core.gatys import GatysStylizer
from core.models import build
from core.models.checkpoint import load, save
from core.models.gan import PatchDiscriminator
from core.params import StyleParams
from core.training.cli import main as train_main
from core.training.data import style_crops
from core.training.trainer import TrainConfig, Trainer
from tests.conftest import EXAMPLES, ROOT, make_photo

STARRY = ROOT / "core" / "styles" / "starry_night.jpg"
SCREAM = ROOT / "core" / "styles" / "the_scream.jpg"
SHIPWRECK = ROOT / "core" / "styles" / "shipwreck.jpg"


@pytest.fixture(scope="module")
def photo_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    nested = folder / "nested"
    nested.mkdir()
    for i, path in enumerate(sorted((EXAMPLES / "content").glob("*.jpg"))[:3]):
        shutil.copy(path, (nested if i else folder) / path.name)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    (folder / "notes.txt").write_text("not an image, not even looked at")
    return folder


def tiny_config(tmp_path, method, photo_dir, **changes) -> TrainConfig:
    base = TrainConfig(
        method=method, content_dir=photo_dir, styles=[STARRY], out=tmp_path / f"{method}.pt",
        size=48, batch=2, iterations=4, checkpoint_every=2, sample_every=2, device="cpu",
        model={"width": 8, "blocks": 1},
    )  # fmt: skip
    for key, value in changes.items():
        setattr(base, key, value)
    return base


@pytest.mark.parametrize("method", ["feedforward", "gan"])
def test_cnn_keeps_shape_and_range(method):
    net = build(method, {"width": 8, "blocks": 2})
    x = torch.rand(2, 3, 36, 52)
    y = net(x)
    assert y.shape == x.shape and y.dtype == torch.float32
    assert 0 <= y.min() and y.max() <= 1
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert net(x).shape == x.shape


def test_discriminator_scores_patches():
    scores = PatchDiscriminator()(torch.rand(2, 256, 24, 24) * 300)
    assert scores.shape == (2, 1, 12, 12)


def test_a_multi_painting_discriminator_judges_each_sample_with_its_own_head():
    disc = PatchDiscriminator(styles=3).eval()  # eval: no power iteration between calls
    feats = torch.rand(2, 256, 24, 24) * 300
    every_head = disc.net(feats / feats.pow(2).mean(dim=(1, 2, 3), keepdim=True).sqrt())
    scores = disc(feats, torch.tensor([2, 0]))
    assert scores.shape == (2, 1, 12, 12)
    assert torch.allclose(scores[0, 0], every_head[0, 2], atol=1e-5)
    assert torch.allclose(scores[1, 0], every_head[1, 0], atol=1e-5)


def test_a_multi_style_network_paints_by_index_or_by_mixture():
    torch.manual_seed(0)
    net = build("feedforward", {"width": 8, "blocks": 1, "styles": 3})
    for norm in (m for m in net.modules() if hasattr(m, "weight") and m.weight.dim() == 2):
        norm.weight.data.uniform_(0.5, 1.5)  # trained scales and shifts differ per painting
        norm.bias.data.uniform_(-0.5, 0.5)
    x = torch.rand(1, 3, 32, 32)
    first, third = net(x, torch.tensor([0])), net(x, torch.tensor([2]))
    assert (first - third).abs().mean() > 0.01  # a painting is chosen by its index
    assert torch.allclose(net(x, torch.tensor([[1.0, 0.0, 0.0]])), first, atol=1e-6)
    halfway = net(x, torch.tensor([[1.0, 0.0, 1.0]]))  # weights are normalised: 0.5 / 0.5
    assert 0 < (halfway - first).abs().mean() < (third - first).abs().mean()
    with pytest.raises(ValueError, match="say which"):
        net(x)
    with pytest.raises(ValueError, match="takes no style"):
        build("feedforward", {"width": 8, "blocks": 1})(x, torch.tensor([0]))


@pytest.mark.parametrize("method", ["feedforward", "gan"])
def test_training_lowers_the_loss_and_writes_what_it_promises(tmp_path, photo_dir, method):
    config = tiny_config(tmp_path, method, photo_dir, iterations=24, lr=5e-3, sample_every=12)
    trainer = Trainer(config)
    before = trainer.evaluate()  # on fixed photos: single steps' losses are noisy
    trainer.run()
    assert trainer.evaluate() < 0.9 * before
    checkpoint = load(config.out)
    assert checkpoint.method == method
    assert checkpoint.styles == [p.stem for p in config.styles]
    assert checkpoint.record["iterations"] == 24
    assert checkpoint.record["photos"]["count"] == 3  # the broken file was skipped
    assert all(v.dtype == torch.float16 for v in checkpoint.state.values())
    log_rows = config.out.with_suffix(".csv").read_text().splitlines()
    assert log_rows[0].startswith("step,") and log_rows[-1].startswith("24,")
    samples = sorted((tmp_path / "samples").glob(f"{method}_*.png"))
    assert [p.name for p in samples] == [f"{method}_000012.png", f"{method}_000024.png"]


def test_training_resumes_where_it_stopped(tmp_path, photo_dir):
    first = tiny_config(tmp_path, "gan", photo_dir, iterations=4)
    Trainer(first).run()
    state = first.state_path
    assert state.exists()
    resumed = Trainer(tiny_config(tmp_path, "gan", photo_dir, iterations=6, resume=state))
    assert resumed.step == 4
    resumed.run()
    assert load(first.out).record["iterations"] == 6
    rows = first.out.with_suffix(".csv").read_text().splitlines()
    assert rows[-1].startswith("6,") and rows.count(rows[0]) == 1  # appended, one header


def test_cosine_schedule_and_gradient_clipping_are_applied(tmp_path, photo_dir):
    config = tiny_config(tmp_path, "feedforward", photo_dir, iterations=4, lr=1e-3,
                         lr_schedule="cosine", clip_grad=0.5)  # fmt: skip
    trainer = Trainer(config)
    rates, norms = [], []
    for _ in range(4):
        losses = trainer.train_step()
        rates.append(trainer.opt.param_groups[0]["lr"])
        norms.append(losses["grad_norm"])  # the norm before clipping, reported
        trainer.step += 1
    assert rates[0] == pytest.approx(1e-3) and rates == sorted(rates, reverse=True)
    assert rates[-1] < 0.2e-3  # near the end, near 0
    assert all(n > 0 for n in norms)
    constant = Trainer(tiny_config(tmp_path, "feedforward", photo_dir, lr=2e-3))
    constant.train_step()
    assert constant.opt.param_groups[0]["lr"] == 2e-3


def test_a_gan_run_can_start_from_a_trained_feedforward_network(tmp_path, photo_dir):
    styles = [STARRY, SCREAM]
    first = tiny_config(tmp_path, "feedforward", photo_dir, styles=styles, iterations=2)
    Trainer(first).run()
    learnt = load(first.out).model()
    gan = Trainer(tiny_config(tmp_path, "gan", photo_dir, styles=styles, init_from=first.out))
    theirs = learnt.state_dict()
    for name, mine in gan.net.state_dict().items():
        assert torch.equal(mine, theirs[name]), name
    assert gan.record({})["config"]["init_from"] == str(first.out)
    with pytest.raises(ValueError, match="same paintings"):
        Trainer(tiny_config(tmp_path, "gan", photo_dir, styles=[SCREAM, STARRY],
                            init_from=first.out))  # fmt: skip


def test_each_painting_can_have_its_own_style_weight(tmp_path, photo_dir):
    config = tiny_config(tmp_path, "feedforward", photo_dir, styles=[STARRY, SCREAM])
    trainer = Trainer(config)
    photos = trainer._to_device(trainer.photos.batch(2, random.Random(0)))
    with torch.no_grad():
        feats = trainer.vgg(to_caffe(trainer._forward(photos, None, [0, 1])), trainer.layers)
    plain, weighted = trainer._style_loss(feats, [0, 1])
    assert weighted.item() == pytest.approx(config.style_weight * plain.item(), rel=1e-5)
    config.style_weights = [1.0, 0.0]  # The Scream's term no longer counts
    _, only_starry = trainer._style_loss(feats, [0, 1])
    _, starry = trainer._style_loss({k: v[:1] for k, v in feats.items()}, [0])
    assert only_starry.item() == pytest.approx(starry.item() / 2, rel=1e-5)
    with pytest.raises(ValueError, match="one per painting"):
        Trainer(tiny_config(tmp_path, "feedforward", photo_dir, styles=[STARRY, SCREAM],
                            style_weights=[3.0]))  # fmt: skip
    code = train_main(
        ["--method", "feedforward", "--content-dir", str(photo_dir), "--style", str(STARRY),
         str(SCREAM), "--style-weight", "3", "6", "--size", "48", "--iterations", "1",
         "--width", "8", "--out", str(tmp_path / "w.pt")]
    )  # fmt: skip
    assert code == 0
    assert load(tmp_path / "w.pt").record["config"]["style_weights"] == [3.0, 6.0]


def _stripe_period(crops: torch.Tensor) -> float:
    """Mean length in px of one dark + light stripe along the rows of (n, 3, h, w) crops."""
    dark = crops[:, 0] < 0.5
    changes = (dark[..., 1:] != dark[..., :-1]).sum(dim=-1).float().mean()
    return 2 * crops.shape[-1] / float(changes)


@pytest.mark.parametrize("side", [32, 96])
def test_paintings_are_cropped_at_the_scale_of_the_canvas_they_paint(side):
    """Stripes 4 px apart in a `side` px painting: a 64 px crop sees the painting at 128 px,
    so the stripes come 4 * 128 / side px apart, whether the painting is small or large."""
    columns = torch.arange(side) // 2 % 2  # 2 px dark, 2 px light
    pixels = (columns.float() * 255).to(torch.uint8).expand(side, side)
    painting = Image.fromarray(pixels.numpy()).convert("RGB")
    crops = style_crops(painting, 64, 6)
    assert crops.shape == (6, 3, 64, 64)
    assert _stripe_period(crops) == pytest.approx(4 * 128 / side, rel=0.15)


def test_tuning_one_painting_leaves_every_other_weight_as_it_was(tmp_path, photo_dir):
    first = tiny_config(tmp_path, "feedforward", photo_dir, styles=[STARRY, SCREAM], iterations=2)
    Trainer(first).run()
    before = load(first.out).model().state_dict()
    code = train_main(
        ["--method", "feedforward", "--content-dir", str(photo_dir), "--style", str(STARRY),
         str(SCREAM), "--init-from", str(first.out), "--tune-only", "the_scream",
         "--size", "48", "--batch", "2", "--iterations", "3", "--out", str(tmp_path / "t.pt")]
    )  # fmt: skip
    assert code == 0
    after = load(tmp_path / "t.pt").model().state_dict()
    changed = {name for name, value in after.items() if not torch.equal(value, before[name])}
    assert changed, "the tuned painting's scales and shifts did not move"
    for name in after:
        if name in changed:  # a (paintings, channels) scale or shift: The Scream's row only
            assert after[name].dim() == 2, name
            assert torch.equal(after[name][0], before[name][0]), name
            assert not torch.equal(after[name][1], before[name][1]), name
    with pytest.raises(ValueError, match="not among the paintings"):
        Trainer(tiny_config(tmp_path, "feedforward", photo_dir, styles=[STARRY, SCREAM],
                            init_from=first.out, tune_only=["zigzags"]))  # fmt: skip
    with pytest.raises(ValueError, match="needs a trained network"):
        Trainer(tiny_config(tmp_path, "feedforward", photo_dir, tune_only=["starry_night"]))


def test_unreadable_photos_are_skipped_with_a_warning(tmp_path, photo_dir, caplog):
    with caplog.at_level(logging.WARNING, logger="core.training"):
        trainer = Trainer(tiny_config(tmp_path, "feedforward", photo_dir))
    assert len(trainer.photos.images) == 3
    assert any("broken.jpg" in r.getMessage() for r in caplog.records)


def test_cli_errors_are_one_line(tmp_path, photo_dir, capsys):
    code = train_main(
        ["--method", "feedforward", "--content-dir", str(photo_dir), "--style", str(STARRY),
         "--size", "50", "--out", str(tmp_path / "x.pt")]
    )  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "multiple of 8" in err


@pytest.mark.parametrize("method", ["feedforward", "gan"])
def test_one_cnn_learns_several_paintings_and_serves_each_preset(tmp_path, photo_dir, vgg, method):
    config = tiny_config(
        tmp_path, method, photo_dir, styles=[STARRY, SCREAM], iterations=8, lr=5e-3
    )
    Trainer(config).run()
    checkpoint = load(config.out)
    assert checkpoint.styles == ["starry_night", "the_scream"]
    assert checkpoint.config["styles"] == 2
    engine = Engine(GatysStylizer(vgg, "cpu"))
    engine.add_checkpoint(config.out)
    assert engine.fast_models() == {method: ["starry_night", "the_scream"]}
    photo = make_photo(64, 48)
    images = [
        engine.stylize(photo, [], StyleParams(method=method, preset=p, size=64)).image
        for p in ("starry_night", "the_scream")
    ]
    a, b = (torch.from_numpy(np.asarray(i, dtype=np.float32)) for i in images)
    assert (a - b).abs().mean() > 0.2  # each preset gets its own scales and shifts (0 if not)


def test_engine_serves_trained_models_by_preset(tmp_path, photo_dir, vgg):
    Trainer(tiny_config(tmp_path, "feedforward", photo_dir)).run()
    save(tmp_path / "adain.pt", build("adain"), "adain", ["some_painting"], {})
    engine = Engine(GatysStylizer(vgg, "cpu"))
    engine.add_checkpoint(tmp_path / "feedforward.pt")
    assert engine.methods_for("the_scream") == ["gatys"]
    engine.add_checkpoint(tmp_path / "adain.pt")
    # adain reads the painting: every preset, whatever paintings it was trained on
    assert engine.methods_for("starry_night") == ["gatys", "feedforward", "adain"]
    assert engine.methods_for("the_scream") == ["gatys", "adain"]
    photo, painting = make_photo(90, 60), make_photo(40, 40, seed=3)
    for method in ("feedforward", "adain"):
        params = StyleParams(method=method, preset="starry_night", size=64)
        result = engine.stylize(photo, [painting], params)
        assert result.image.size == (64, 43)
    # a painting of the user's own is served by adain; the per-style CNN refuses
    own = StyleParams(method="adain", size=64)
    assert engine.stylize(photo, [painting], own).image.size == (64, 43)
    with pytest.raises(ValueError, match="needs a preset it was trained on"):
        engine.stylize(photo, [painting], StyleParams(method="feedforward", preset="shipwreck"))
    with pytest.raises(ValueError, match="no trained model"):
        engine.stylize(photo, [painting], StyleParams(method="gan", preset="starry_night"))


def test_a_file_that_is_not_a_checkpoint_is_refused(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        load(bad)
    torch.save({"format": 99}, bad)
    with pytest.raises(ValueError, match="not a stylize checkpoint"):
        load(bad)

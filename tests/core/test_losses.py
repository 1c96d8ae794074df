import pytest
import torch

from core.losses import GramStyle, WassersteinStyle, content_loss, gram_matrix, tv_loss


def test_gram_matrix_of_known_features():
    f = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 2, 1, 2)  # C=2, H=1, W=2
    g = gram_matrix(f)
    expected = torch.tensor([[1 + 4, 3 + 8], [3 + 8, 9 + 16]]) / 2.0
    assert torch.allclose(g[0], expected)


def test_gram_is_fp32_under_bf16_input():
    assert gram_matrix(torch.ones(1, 4, 3, 3, dtype=torch.bfloat16)).dtype == torch.float32


def _reference_gram(f: torch.Tensor) -> torch.Tensor:
    b, c, h, w = f.shape
    flat = f.double().reshape(b, c, h * w)
    return torch.bmm(flat, flat.transpose(1, 2)) / (h * w)


@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_gram_and_its_gradient_match_the_plain_product(dtype, channels_last):
    torch.manual_seed(0)
    # 96x128 = 12288 pixels: three bf16 chunks of GRAM_CHUNK_PIXELS and no remainder; 50x70
    # leaves a remainder and a single chunk; ReLU-like (non-negative) as VGG's features are.
    for shape in [(1, 16, 96, 128), (2, 8, 50, 70)]:
        f = torch.rand(*shape).to(dtype)
        if channels_last:
            f = f.contiguous(memory_format=torch.channels_last)
        f.requires_grad_(True)
        weight = torch.randn(shape[0], shape[1], shape[1])
        g = gram_matrix(f)
        (g * weight).sum().backward()
        ref = f.detach().double().requires_grad_(True)
        (_reference_gram(ref) * weight.double()).sum().backward()
        # fp32: 12288 products summed in an order the BLAS picks per CPU (AVX2: 1.0e-6).
        tol = 1e-5 if dtype == torch.float32 else 2e-3  # bf16: one rounding per chunk
        assert g.dtype == torch.float32
        assert (g.double() - _reference_gram(ref)).norm() / _reference_gram(ref).norm() < tol
        assert f.grad.dtype == dtype
        grad_error = (f.grad.double() - ref.grad).norm() / ref.grad.norm()
        assert grad_error < (1e-6 if dtype == torch.float32 else 1e-2)


def test_gram_gradient_keeps_the_features_memory_layout():
    # A gradient in another layout than the convolution's costs a reorder at every layer
    # whose features both feed the next layer and the style loss.
    f = torch.rand(1, 8, 16, 16).contiguous(memory_format=torch.channels_last)
    f.requires_grad_(True)
    gram_matrix(f).sum().backward()
    assert f.grad.is_contiguous(memory_format=torch.channels_last)
    assert not f.grad.is_contiguous()
    plain = torch.rand(1, 8, 16, 16, requires_grad=True)
    gram_matrix(plain).sum().backward()
    assert plain.grad.is_contiguous()


def test_bf16_gram_is_summed_in_chunks_more_accurately_than_one_rounded_product():
    torch.manual_seed(0)
    f = torch.rand(1, 64, 128, 256).to(torch.bfloat16)  # 32768 pixels: 8 chunks
    ref = _reference_gram(f)
    one_product = (
        torch.bmm(f.reshape(1, 64, -1), f.reshape(1, 64, -1).transpose(1, 2)) / f[0, 0].numel()
    )
    chunked = gram_matrix(f)
    error_one = (one_product.double() - ref).norm() / ref.norm()
    error_chunked = (chunked.double() - ref).norm() / ref.norm()
    assert error_chunked < error_one / 2


def test_content_loss_zero_at_target_and_relative():
    f = torch.rand(1, 8, 4, 4)
    assert content_loss({"a": f}, {"a": f}).item() == 0
    # Relative: scaling both features and targets leaves the loss unchanged.
    other = torch.rand(1, 8, 4, 4)
    a = content_loss({"a": other}, {"a": f})
    b = content_loss({"a": other * 10}, {"a": f * 10})
    assert torch.isclose(a, b)


@pytest.mark.parametrize("statistic", [GramStyle, WassersteinStyle])
def test_style_loss_zero_for_own_statistics_and_positive_otherwise(statistic):
    torch.manual_seed(0)
    layers = ["x", "y"]
    feats = {"x": torch.rand(1, 4, 8, 8), "y": torch.rand(1, 6, 4, 4)}
    style = statistic.for_layers(layers)
    target = style.target(feats)
    assert style.loss(feats, target).item() == pytest.approx(0, abs=1e-3)
    other = {"x": torch.rand(1, 4, 8, 8) * 3, "y": torch.rand(1, 6, 4, 4) ** 2}
    assert style.loss(other, target).item() > 0.01


def test_style_loss_does_not_grow_with_image_size():
    torch.manual_seed(0)
    style = GramStyle.for_layers(["x"])
    target = style.target({"x": torch.rand(1, 4, 16, 16)})
    small = style.loss({"x": torch.rand(1, 4, 16, 16) * 2}, target)
    large = style.loss({"x": torch.rand(1, 4, 64, 64) * 2}, target)
    # Unnormalised, 16x the pixels would mean a 256x larger loss; here it stays comparable.
    assert large.item() == pytest.approx(small.item(), rel=0.3)


def test_layer_weights_are_normalised():
    a = GramStyle.for_layers(["x", "y"], [2.0, 2.0])
    b = GramStyle.for_layers(["x", "y"])
    assert dict(a.layer_weights) == dict(b.layer_weights) == {"x": 0.5, "y": 0.5}
    with pytest.raises(ValueError):
        GramStyle.for_layers(["x"], [0.0])


@pytest.mark.parametrize("statistic", [GramStyle, WassersteinStyle])
def test_blend_with_one_sided_weights_is_that_style(statistic):
    torch.manual_seed(0)
    style = statistic.for_layers(["x"])
    a = style.target({"x": torch.rand(1, 4, 8, 8)})
    b = style.target({"x": torch.rand(1, 4, 8, 8) * 5})
    probe = {"x": torch.rand(1, 4, 8, 8) * 5}
    blended = style.blend([a, b], [0.0, 1.0])
    assert style.loss(probe, blended).item() == pytest.approx(style.loss(probe, b).item(), rel=1e-3)
    halfway = style.blend([a, b], [1.0, 1.0])
    assert style.loss(probe, halfway).item() != pytest.approx(style.loss(probe, b).item(), rel=1e-3)


def test_tv_loss():
    flat = torch.full((1, 3, 8, 8), 100.0)
    assert tv_loss(flat).item() == 0
    stripes = flat.clone()
    stripes[..., ::2] = 0
    assert tv_loss(stripes).item() > 0.1

import torch

from core.colour import luminance, match_colour_histogram, rgb_to_yiq, with_chroma_of, yiq_to_rgb


def test_yiq_round_trip():
    x = torch.rand(1, 3, 8, 8)
    assert torch.allclose(yiq_to_rgb(rgb_to_yiq(x)), x, atol=1e-5)


def test_luminance_is_grey():
    grey = luminance(torch.rand(1, 3, 8, 8))
    assert torch.allclose(grey[:, 0], grey[:, 1]) and torch.allclose(grey[:, 1], grey[:, 2])


def test_with_chroma_of_keeps_content_chroma_and_output_luminance():
    torch.manual_seed(0)
    content = torch.rand(1, 3, 16, 16) * 0.5 + 0.25
    output = torch.rand(1, 3, 16, 16) * 0.5 + 0.25
    mixed = with_chroma_of(output, content)
    assert torch.allclose(rgb_to_yiq(mixed)[:, 1:], rgb_to_yiq(content)[:, 1:], atol=1e-4)
    assert torch.allclose(rgb_to_yiq(mixed)[:, :1], rgb_to_yiq(output)[:, :1], atol=1e-4)


def test_histogram_matching_copies_mean_and_covariance():
    torch.manual_seed(0)
    source = torch.rand(1, 3, 32, 32) * 0.3
    reference = torch.rand(1, 3, 32, 32) * 0.4 + 0.3
    reference[:, 2] = reference[:, 0] * 0.5 + 0.2  # correlated channels
    out = match_colour_histogram(source, reference)

    def stats(x):
        flat = x.transpose(0, 1).reshape(3, -1).double()
        return flat.mean(1), torch.cov(flat, correction=0)

    (m_out, c_out), (m_ref, c_ref) = stats(out), stats(reference)
    assert torch.allclose(m_out, m_ref, atol=1e-3)
    assert torch.allclose(c_out, c_ref, atol=2e-3)

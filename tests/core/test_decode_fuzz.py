"""Fuzzing the decoder: whatever the bytes, an upright RGB image or an ImageError, nothing else.

Inputs are real JPEG, PNG, WebP, BMP and TIFF files with bytes flipped, cut or spliced in,
plus raw random bytes behind real magic numbers, so the fuzzer reaches each format's parser.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.images import DecodeLimits, ImageError, decode_image
from tests.conftest import encode, make_photo

SEEDS = {fmt: encode(make_photo(40, 24), fmt) for fmt in ("JPEG", "PNG", "WEBP", "BMP", "TIFF")}
MAGIC = [b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF\0\0\0\0WEBPVP8 ", b"BM", b"II*\0", b"GIF89a"]
LIMITS = DecodeLimits(max_pixels=4_000_000)
# The suite's budget; a longer hunt by hand: FUZZ_EXAMPLES=20000 (docs/reliability.md).
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow on corrupt metadata


def mutate(data: bytes, edits: list[tuple[int, int]], cut: int | None) -> bytes:
    out = bytearray(data)
    for position, value in edits:
        out[position % len(out)] = value
    return bytes(out[:cut]) if cut is not None else bytes(out)


def check(data: bytes) -> None:
    try:
        img = decode_image(data, LIMITS)
    except ImageError as exc:
        assert str(exc)  # a message the user can read
        return
    assert img.mode == "RGB"
    assert img.width * img.height <= LIMITS.max_pixels
    img.tobytes()  # fully decoded, nothing lazy left to fail later


@pytest.mark.parametrize("fmt", list(SEEDS))
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=8),
    cut=st.none() | st.integers(0, 4000),
)
def test_mutated_images(fmt, edits, cut):
    check(mutate(SEEDS[fmt], edits, cut))


@settings(max_examples=2 * EXAMPLES, deadline=None)
@given(magic=st.sampled_from(MAGIC), tail=st.binary(max_size=600))
def test_random_bytes_behind_real_magic_numbers(magic, tail):
    check(magic + tail)

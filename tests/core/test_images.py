"""Decoding untrusted bytes: every bad kind gets an ImageError with a readable message."""

import io

import pytest
from PIL import Image

from core.images import DecodeLimits, ImageError, ImageTooLarge, decode_image, encode_image
from tests.conftest import encode, make_photo


def test_decodes_png_to_rgb():
    img = decode_image(encode(make_photo()))
    assert img.mode == "RGB" and img.size == (96, 64)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"hello, this is text", "not a recognised image"),
        (b"<html><body>hi</body></html>", "not a recognised image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "not a recognised image|could not be read"),
    ],
)
def test_not_images(data, message):
    with pytest.raises(ImageError, match=message):
        decode_image(data)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_files(fmt):
    data = encode(make_photo(256, 256), fmt)
    with pytest.raises(ImageError, match="damaged or truncated|could not be read|not a recognised"):
        decode_image(data[: len(data) // 2])


def test_pixel_limit_checked_from_header_before_decoding():
    # A PNG that declares 12000 x 12000 px but holds almost no data: a decompression bomb.
    data = encode(Image.new("1", (12000, 12000)), "PNG", optimize=True)
    assert len(data) < 1_000_000
    with pytest.raises(ImageTooLarge, match="12000x12000"):
        decode_image(data, DecodeLimits(max_pixels=10_000_000))


def test_huge_declared_size_refused():
    data = encode(Image.new("1", (40000, 40000)), "PNG", optimize=True)
    with pytest.raises(ImageTooLarge, match="too many pixels"):
        decode_image(data)


def test_too_small_and_too_thin():
    with pytest.raises(ImageError, match="1x1 px"):
        decode_image(encode(Image.new("RGB", (1, 1))))
    with pytest.raises(ImageError, match="at least 16 px"):
        decode_image(encode(Image.new("RGB", (5000, 2))))


def test_unsupported_format_is_named():
    with pytest.raises(ImageError, match="GIF format"):
        decode_image(encode(make_photo(), "GIF"))


@pytest.mark.parametrize(
    "img",
    [
        Image.new("CMYK", (32, 32), (0, 255, 255, 0)),
        Image.new("L", (32, 32), 128),
        Image.new("I;16", (32, 32), 40000),
        Image.new("RGBA", (32, 32), (255, 0, 0, 0)),
        make_photo(32, 32).convert("P"),
    ],
    ids=["cmyk", "grey", "16bit", "rgba", "palette"],
)
def test_any_mode_becomes_rgb(img):
    fmt = "TIFF" if img.mode in ("CMYK", "I;16") else "PNG"
    out = decode_image(encode(img, fmt))
    assert out.mode == "RGB" and out.size == (32, 32)


def test_sixteen_bit_is_scaled_not_clipped():
    out = decode_image(encode(Image.new("I;16", (32, 32), 32768), "PNG"))
    assert out.getpixel((0, 0))[0] == pytest.approx(128, abs=1)


def test_transparency_composited_on_white():
    img = Image.new("P", (32, 32), 0)
    img.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    img.info["transparency"] = 0
    out = decode_image(encode(img, "PNG", transparency=0))
    assert out.getpixel((0, 0)) == (255, 255, 255)


def test_exif_orientation_applied():
    img = Image.new("RGB", (80, 40), (255, 0, 0))
    img.paste((0, 0, 255), (0, 0, 40, 40))  # left half blue
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    data = encode(img, "JPEG", exif=exif.tobytes(), quality=95)
    out = decode_image(data)
    assert out.size == (40, 80)
    # After the rotation the blue half is at the top.
    assert out.getpixel((20, 10))[2] > 200 and out.getpixel((20, 70))[0] > 200


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_encode_strips_metadata(fmt):
    img = make_photo()
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"
    exif[0x8825] = {1: "N"}  # GPS IFD
    img.info["exif"] = exif.tobytes()
    data = encode_image(img, fmt)
    assert b"SecretCameraMaker" not in data
    reopened = Image.open(io.BytesIO(data))
    assert not reopened.getexif()
    assert "exif" not in reopened.info


def test_encode_unknown_format():
    with pytest.raises(ValueError, match="format must be one of"):
        encode_image(make_photo(), "gif")  # type: ignore[arg-type]

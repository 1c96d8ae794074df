"""Safe image decoding and encoding, shared by the CLI and the service.

Decoding trusts nothing: the format must be on an allow-list, the pixel count is checked
from the header before any pixel is decoded, and every mode ends as 8-bit RGB with the
EXIF orientation applied. Encoding never copies the input's metadata.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageOps, UnidentifiedImageError

OutputFormat = Literal["png", "jpeg", "webp"]
OUTPUT_FORMATS: tuple[OutputFormat, ...] = ("png", "jpeg", "webp")
MEDIA_TYPES: dict[OutputFormat, str] = {
    "png": "image/png",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
}

ALLOWED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "BMP", "TIFF", "MPO", "HEIF"})
DEFAULT_MAX_PIXELS = 40_000_000
MIN_SIDE = 16

try:  # HEIC/HEIF (iPhone photos) only where the optional plug-in is installed
    from pillow_heif import register_heif_opener

    register_heif_opener()
    HEIF_SUPPORTED = True
except ImportError:  # pragma: no cover - depends on the environment
    HEIF_SUPPORTED = False


class ImageError(ValueError):
    """The bytes are not an image we accept; the message says why, for the user."""


class ImageTooLarge(ImageError):  # noqa: N818 - a kind of ImageError
    """The image declares more pixels than allowed."""


class UnsupportedFormat(ImageError):  # noqa: N818 - a kind of ImageError
    """Not an image, or an image format not on the allow-list."""


@dataclass(frozen=True)
class DecodeLimits:
    max_pixels: int = DEFAULT_MAX_PIXELS
    min_side: int = MIN_SIDE


def decode_image(
    data: bytes, limits: DecodeLimits | None = None, *, name: str = "image"
) -> Image.Image:
    """Decode untrusted bytes into an upright 8-bit RGB image, or raise ImageError."""
    limits = limits or DecodeLimits()
    if not data:
        raise ImageError(f"{name} is empty")
    with warnings.catch_warnings():
        # Pillow's own bomb check warns or raises at its limit; ours is explicit and lower.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError as exc:
            raise ImageTooLarge(f"{name} declares far too many pixels") from exc
        except UnidentifiedImageError as exc:
            raise UnsupportedFormat(f"{name} is not a recognised image") from exc
        except (OSError, ValueError, SyntaxError) as exc:
            raise ImageError(f"{name} could not be read: {exc}") from exc
        if img.format not in ALLOWED_FORMATS:
            raise UnsupportedFormat(
                f"{name} is {img.format or 'an unknown'} format; "
                "accepted: JPEG, PNG, WebP, BMP, TIFF" + (", HEIC" if HEIF_SUPPORTED else "")
            )
        # MPO is a camera's multi-picture JPEG: its first picture is the photo.
        if getattr(img, "is_animated", False) and img.format != "MPO":
            raise UnsupportedFormat(f"{name} is animated; send a still image")
        width, height = img.size
        if width * height > limits.max_pixels:
            raise ImageTooLarge(
                f"{name} is {width}x{height} px ({width * height:,} pixels); "
                f"the limit is {limits.max_pixels:,} pixels"
            )
        if min(width, height) < limits.min_side:
            raise ImageError(
                f"{name} is {width}x{height} px; at least {limits.min_side} px per side needed"
            )
        try:
            img.load()
            img = ImageOps.exif_transpose(img)
            return to_rgb(img)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
            raise ImageError(f"{name} is damaged or truncated: {exc}") from exc


def to_rgb(img: Image.Image) -> Image.Image:
    """Any mode (L, P, RGBA, CMYK, I;16, F, ...) to 8-bit RGB; transparency over white."""
    if img.mode == "RGB":
        return img
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16/32-bit greyscale: scale to 8 bits instead of clipping at 255.
        arr = img.point(lambda v: v / 256) if img.mode != "I" else img
        return arr.convert("L").convert("RGB")
    if img.mode == "F":
        return img.convert("L").convert("RGB")
    if img.mode == "P" or img.mode in ("LA", "PA", "RGBa", "La") or "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode == "RGBA":
        background = Image.new("RGB", img.size, (255, 255, 255))
        background.paste(img, mask=img.getchannel("A"))
        return background
    return img.convert("RGB")


def encode_image(img: Image.Image, fmt: OutputFormat = "png", *, quality: int = 92) -> bytes:
    """Encode without any metadata from the input (no EXIF, GPS, ICC or text chunks)."""
    if fmt not in MEDIA_TYPES:
        raise ValueError(f"format must be one of {', '.join(OUTPUT_FORMATS)}; got {fmt!r}")
    clean = Image.frombytes("RGB", img.size, img.convert("RGB").tobytes())
    buf = io.BytesIO()
    if fmt == "png":
        clean.save(buf, "PNG", optimize=False, compress_level=6)
    elif fmt == "jpeg":
        clean.save(buf, "JPEG", quality=quality, subsampling=0 if quality >= 90 else 2)
    else:
        clean.save(buf, "WEBP", quality=quality, method=4)
    return buf.getvalue()


def load_image_file(path: str, limits: DecodeLimits | None = None) -> Image.Image:
    """Read and decode an image file with the same checks as uploaded bytes."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise ImageError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return decode_image(data, limits, name=path)


def resize_long_side(img: Image.Image, long_side: int) -> Image.Image:
    """Resize keeping the aspect ratio so that the longer side is `long_side` px."""
    width, height = img.size
    scale = long_side / max(width, height)
    new_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if new_size == img.size:
        return img
    return img.resize(new_size, Image.Resampling.LANCZOS, reducing_gap=3.0)

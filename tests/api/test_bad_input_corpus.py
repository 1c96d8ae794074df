"""A corpus of hostile and unusual uploads, generated here, sent to POST /jobs one by one.

Every bad case gets a 4xx with a JSON `detail` and leaves nothing behind (no job queued);
unusual but valid images (CMYK, 16-bit, palette with transparency, EXIF-rotated, a JPEG
with a payload appended) are accepted and come out as clean upright RGB. After the whole
corpus, a normal job still runs to the right result.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pytest
from PIL import Image

from tests.api.conftest import photo_bytes, wait_status
from tests.conftest import encode, make_photo

STYLE_PART = ("style", ("s.png", photo_bytes(size=(64, 64)), "image/png"))


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width: int = 60_000, height: int = 60_000) -> bytes:
    """A valid PNG header declaring 3.6 gigapixels, with a few bytes of zlib data."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    data = zlib.compress(b"\0" * 1000, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", data)
        + png_chunk(b"IEND", b"")
    )


def gif_bomb() -> bytes:
    """A GIF whose logical screen and only frame declare 65535 x 65535 pixels."""
    screen = struct.pack("<HHBBB", 65535, 65535, 0, 0, 0)
    frame = b"," + struct.pack("<HHHHB", 0, 0, 65535, 65535, 0) + b"\x02\x02\x4c\x01\x00"
    return b"GIF89a" + screen + frame + b";"


def corrupt(data: bytes, at: int, junk: bytes = b"\x00\xff\x00\xff") -> bytes:
    return data[:at] + junk + data[at + len(junk) :]


def animated(fmt: str) -> bytes:
    frames = [make_photo(64, 64, seed=i) for i in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buf.getvalue()


def cmyk_jpeg() -> bytes:
    return encode(make_photo(96, 64).convert("CMYK"), "JPEG")


def sixteen_bit_png() -> bytes:
    ramp = (np.linspace(0, 65535, 96 * 64).reshape(64, 96)).astype(np.uint16)
    return encode(Image.fromarray(ramp), "PNG")  # mode I;16


def palette_with_transparency() -> bytes:
    img = make_photo(96, 64).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    return encode(img, "PNG", transparency=0)


def exif_rotated() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    return encode(Image.new("RGB", (120, 60), (255, 0, 0)), "JPEG", exif=exif.tobytes())


def polyglot() -> bytes:
    """A real JPEG with an HTML page and a ZIP header appended: decodes as the JPEG."""
    return photo_bytes("JPEG") + b"<html><script>alert(1)</script></html>PK\x03\x04payload"


def multipart(parts: list[tuple[bytes, bytes]], boundary: bytes = b"BOUNDARY") -> bytes:
    out = b""
    for headers, body in parts:
        out += b"--" + boundary + b"\r\n" + headers + b"\r\n\r\n" + body + b"\r\n"
    return out + b"--" + boundary + b"--\r\n"


@dataclass
class Case:
    """One request: form fields, files, or a raw body; what it must get back."""

    status: int | tuple[int, ...]
    data: dict = field(default_factory=dict)
    content: tuple[str, bytes, str] | None = ("p.png", photo_bytes(), "image/png")
    styles: list = field(default_factory=lambda: [STYLE_PART])
    raw: tuple[bytes, str] | None = None  # body, content type
    mentions: str = ""  # a word the error must contain
    check: Callable[[Image.Image], None] | None = None  # for accepted images


def content_case(payload: bytes, status, name="p.jpg", mentions="") -> Case:
    return Case(status, content=(name, payload, "image/jpeg"), mentions=mentions)


def upright(img: Image.Image) -> None:
    assert img.height > img.width


def rgb(img: Image.Image) -> None:
    assert img.mode == "RGB" and not img.getexif()


BAD = {
    "empty file": content_case(b"", 422, mentions="empty"),
    "text named .jpg": content_case(b"just some words, no picture", 415),
    "html named .jpg": content_case(b"<!doctype html><html><body>hi</body></html>", 415),
    "svg": content_case(b"<svg xmlns='http://www.w3.org/2000/svg' width='9'/>", 415, "p.svg"),
    "truncated jpeg": content_case(photo_bytes("JPEG")[:400], 422),
    "truncated png": content_case(photo_bytes("PNG")[:200], 422),
    "corrupted jpeg header": content_case(corrupt(photo_bytes("JPEG"), 2), (415, 422)),
    "corrupted png header": content_case(corrupt(photo_bytes("PNG"), 16), (415, 422)),
    "png bomb": content_case(png_bomb(), 413, mentions="pixels"),
    # A GIF is a clip (a one-frame one too): painted by a one-pass model, starry_night's here.
    "gif bomb": Case(
        (413, 422),
        content=("p.gif", gif_bomb(), "image/gif"),
        styles=[],
        data={"preset": "starry_night"},
        mentions="frame size",
    ),
    "mp4 header, then junk": Case(
        422,
        content=("p.mp4", b"\x00\x00\x00\x18ftypmp42" + b"junk" * 64, "video/mp4"),
        styles=[],
        data={"preset": "starry_night"},
        mentions="not a video",
    ),
    "1x1 image": content_case(encode(Image.new("RGB", (1, 1))), 422, mentions="px"),
    "100000x1 image": content_case(encode(Image.new("L", (100_000, 1)), "PNG", optimize=True), 422),
    "animated webp": content_case(animated("WEBP"), 415, mentions="animated"),
    "too many style files": Case(422, styles=[STYLE_PART] * 9, mentions="at most"),
    "missing content": Case(422, content=None, mentions="content"),
    "missing style and preset": Case(422, styles=[], mentions="style"),
    "duplicate size field": Case(
        422,
        raw=(
            multipart(
                [
                    (b'Content-Disposition: form-data; name="size"', b"64"),
                    (b'Content-Disposition: form-data; name="size"', b"96"),
                    (b'Content-Disposition: form-data; name="preset"', b"starry_night"),
                    (
                        b'Content-Disposition: form-data; name="content"; filename="p.png"\r\n'
                        b"Content-Type: image/png",
                        photo_bytes(),
                    ),
                ]
            ),
            "multipart/form-data; boundary=BOUNDARY",
        ),
        mentions="more than once",
    ),
    "non-numeric weight": Case(422, data={"style_weight": "heavy"}, mentions="style_weight"),
    "negative weight": Case(422, data={"content_weight": "-2"}, mentions="content_weight"),
    "nan weight": Case(422, data={"tv_weight": "NaN"}, mentions="tv_weight"),
    "infinite weight": Case(422, data={"style_weight": "Infinity"}, mentions="style_weight"),
    "absurd steps": Case(422, data={"steps": "10000000"}, mentions="steps"),
    "absurd size": Case(422, data={"size": "1000000"}, mentions="size"),
    "unknown preset": Case(422, data={"preset": "mona_lisa"}, styles=[], mentions="mona_lisa"),
    "unknown method": Case(422, data={"method": "magic"}, mentions="method"),
    "wrong content type": Case(415, raw=(b'{"content": "x"}', "application/json")),
    "malformed multipart": Case(
        (400, 422),
        raw=(
            b'--B\r\nContent-Disposition: form-data; name="content"\r\n\r\nabc',
            "multipart/form-data; boundary=B",
        ),
    ),
    "non-utf8 field name": Case(
        (400, 422),
        raw=(
            multipart([(b'Content-Disposition: form-data; name="s\xffz\xfe"', b"64")]),
            "multipart/form-data; boundary=BOUNDARY",
        ),
    ),
}

ACCEPTED = {
    "cmyk jpeg": Case(202, content=("c.jpg", cmyk_jpeg(), "image/jpeg"), check=rgb),
    "16-bit png": Case(202, content=("g.png", sixteen_bit_png(), "image/png"), check=rgb),
    "palette with transparency": Case(
        202, content=("t.png", palette_with_transparency(), "image/png"), check=rgb
    ),
    "exif-rotated jpeg": Case(202, content=("r.jpg", exif_rotated(), "image/jpeg"), check=upright),
    "polyglot jpeg+html+zip": Case(202, content=("x.jpg", polyglot(), "image/jpeg"), check=rgb),
}


async def send(client, case: Case):
    if case.raw is not None:
        body, content_type = case.raw
        return await client.post("/jobs", content=body, headers={"content-type": content_type})
    files = ([("content", case.content)] if case.content else []) + list(case.styles)
    data = {"size": "64", **case.data}
    if not files:
        files = None
    return await client.post("/jobs", data=data, files=files)


def test_the_corpus_is_big_enough():
    assert len(BAD) + len(ACCEPTED) >= 25


@pytest.mark.parametrize("name", list(BAD))
async def test_bad_input_gets_a_clear_4xx_and_queues_nothing(client, app, name):
    case = BAD[name]
    before = app.state.queue.held()
    r = await send(client, case)
    expected = case.status if isinstance(case.status, tuple) else (case.status,)
    assert r.status_code in expected, (name, r.status_code, r.text[:300])
    detail = r.json()["detail"]
    assert detail and "Traceback" not in str(detail)
    assert case.mentions in str(detail), (name, detail)
    assert app.state.queue.held() == before


@pytest.mark.parametrize("name", list(ACCEPTED))
async def test_unusual_valid_images_are_accepted_clean(client, name):
    case = ACCEPTED[name]
    r = await send(client, case)
    assert r.status_code == 202, (name, r.text[:300])
    job = await wait_status(client, r.json()["id"], {"succeeded", "failed", "cancelled"})
    assert job["status"] == "succeeded", (name, job)
    result = await client.get(job["result_url"])
    assert result.status_code == 200
    image = Image.open(io.BytesIO(result.content))
    assert b"<script>" not in result.content and b"PK\x03\x04" not in result.content
    case.check(image)


async def test_after_the_whole_corpus_a_normal_job_is_right(client):
    for case in [*BAD.values(), *ACCEPTED.values()]:
        await send(client, case)
    r = await client.post(
        "/stylize",
        data={"size": "64"},
        files=[("content", ("p.png", photo_bytes(), "image/png")), STYLE_PART],
    )
    assert r.status_code == 200
    out = Image.open(io.BytesIO(r.content))
    assert out.size == (64, 43)

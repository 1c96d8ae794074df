"""Bad requests get a clear JSON 4xx; limits are enforced; the service keeps working after."""

import io

import httpx
import pytest
from asgi_lifespan import LifespanManager
from PIL import Image, ImageCms

from api.main import create_app
from tests.api.conftest import job_files, photo_bytes
from tests.conftest import encode, make_photo


async def post(client, data=None, files=None, **kw):
    return await client.post("/jobs", data=data or {"size": "64"}, files=files or job_files(), **kw)


@pytest.mark.parametrize(
    ("data", "status", "field"),
    [
        ({"style_weight": "nan"}, 422, "style_weight"),
        ({"content_weight": "inf"}, 422, "content_weight"),
        ({"tv_weight": "-1"}, 422, "tv_weight"),
        ({"strength": "lots"}, 422, "strength"),
        ({"steps": "0"}, 422, "steps"),
        ({"steps": "100000"}, 422, "steps"),
        ({"size": "5"}, 422, "size"),
        ({"size": "99999"}, 422, "size"),
        ({"quality": "ultra"}, 422, "quality"),
        ({"method": "magic"}, 422, "method"),
        ({"preserve_color": "sepia"}, 422, "preserve_color"),
        ({"format": "gif"}, 422, "format"),
        ({"seed": "-3"}, 422, "seed"),
        ({"style_blend": "1,nan"}, 422, "style_blend"),
        ({"style_blend": "1,2"}, 422, "style_blend"),
        ({"style_blend": "x"}, 422, "style_blend"),
    ],
)
async def test_bad_fields_name_the_field(client, data, status, field):
    r = await post(client, data={"size": "64", **data})
    assert r.status_code == status
    assert field in r.json()["detail"]


async def test_size_over_service_limit(client, settings):
    r = await post(client, data={"size": str(settings.max_size + 1)})
    assert r.status_code == 422 and "size" in r.json()["detail"]


async def test_missing_content_and_missing_style(client):
    r = await client.post(
        "/jobs",
        data={"preset": "starry_night"},
        files=[("style", ("s.png", photo_bytes(), "image/png"))],
    )
    assert r.status_code == 422 and "content" in r.json()["detail"]
    r = await client.post("/jobs", data={"size": "64"}, files=job_files(style=False))
    assert r.status_code == 422 and "style" in r.json()["detail"]


async def test_preset_and_style_together_or_unknown_preset(client):
    r = await post(client, data={"preset": "starry_night"})
    assert r.status_code == 422 and "not both" in r.json()["detail"]
    r = await client.post("/jobs", data={"preset": "mona_lisa"}, files=job_files(style=False))
    assert r.status_code == 422 and "mona_lisa" in r.json()["detail"]


async def test_method_not_available_for_style(client):
    r = await client.post(
        "/jobs", data={"preset": "the_scream", "method": "gan"}, files=job_files(style=False)
    )
    assert r.status_code == 422 and "gan" in r.json()["detail"]


async def test_too_many_styles(client, settings):
    files = job_files(style=False) + [
        ("style", (f"s{i}.png", photo_bytes(), "image/png")) for i in range(settings.max_styles + 1)
    ]
    r = await client.post("/jobs", data={"size": "64"}, files=files)
    assert r.status_code == 422 and "at most" in r.json()["detail"]


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (b"", 422),
        (b"not an image at all", 415),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", 415),
        # A GIF is a clip, even a still one: with an uploaded painting it needs adain or the
        # transformer, which the fake engine does not serve (tests/api/test_clips.py).
        (encode(make_photo(), "GIF"), 422),
        (photo_bytes("JPEG")[:300], 422),
        (encode(Image.new("RGB", (2, 2))), 422),
    ],
    ids=["empty", "text", "svg", "gif", "truncated", "tiny"],
)
async def test_bad_images(client, payload, status):
    files = [
        ("content", ("photo.jpg", payload, "image/jpeg")),
        ("style", ("s.png", photo_bytes(), "image/png")),
    ]
    r = await client.post("/jobs", data={"size": "64"}, files=files)
    assert r.status_code == status, r.text
    assert r.json()["detail"]


async def test_decompression_bomb_is_413(client):
    bomb = encode(Image.new("1", (12000, 12000)), "PNG", optimize=True)
    files = [
        ("content", ("bomb.png", bomb, "image/png")),
        ("style", ("s.png", photo_bytes(), "image/png")),
    ]
    r = await client.post("/jobs", data={"size": "64"}, files=files)
    assert r.status_code == 413 and "pixels" in r.json()["detail"]


async def test_oversized_upload_is_413(settings, fake):
    settings.max_upload_bytes = 50_000
    settings.max_clip_bytes = 50_000
    app = create_app(settings, stylizer=fake)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            big = encode(make_photo(400, 400), "PNG", compress_level=0)
            assert len(big) > 50_000
            files = [
                ("content", ("big.png", big, "image/png")),
                ("style", ("s.png", photo_bytes(), "image/png")),
            ]
            r = await c.post("/jobs", data={"size": "64"}, files=files)
            assert r.status_code == 413
            # A whole body over the cap is refused before it is parsed.
            huge = b"0" * (50_000 * (settings.max_styles + 1) + 100_000)
            r = await c.post("/jobs", files=[("content", ("x.png", huge, "image/png"))])
            assert r.status_code == 413
            assert (
                await c.post("/stylize", data={"size": "64"}, files=job_files())
            ).status_code == 200


async def test_wrong_content_type_is_415(client):
    r = await client.post("/jobs", json={"content": "x"})
    assert r.status_code == 415
    r = await client.post(
        "/stylize", content=b"a=b", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert r.status_code == 415


async def test_malformed_multipart_is_4xx(client):
    body = b'--XYZ\r\nContent-Disposition: form-data; name="content"\r\n\r\nabc'  # never closed
    r = await client.post(
        "/jobs", content=body, headers={"content-type": "multipart/form-data; boundary=XYZ"}
    )
    assert 400 <= r.status_code < 500


async def test_exif_rotated_upload_comes_out_upright(client, fake):
    img = Image.new("RGB", (120, 60), (255, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encode(img, "JPEG", exif=exif.tobytes())
    files = [
        ("content", ("r.jpg", data, "image/jpeg")),
        ("style", ("s.png", photo_bytes(), "image/png")),
    ]
    r = await client.post("/stylize", data={"size": "64"}, files=files)
    out = Image.open(io.BytesIO(r.content))
    assert out.height > out.width  # portrait after applying the orientation


def photo_with_metadata() -> bytes:
    """A JPEG carrying what phones write: EXIF with a camera and GPS, an ICC profile, XMP."""
    exif = Image.Exif()
    exif[0x010F] = "SecretCamera"  # Make
    exif[0x8825] = {1: "N", 2: (48.0, 31.0, 12.5), 3: "E", 4: (9.0, 3.0, 25.0)}  # GPS IFD
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><SecretXmp>owner@example.org</SecretXmp>'
    xmp += b"</x:xmpmeta>"
    data = encode(make_photo(96, 64), "JPEG", exif=exif.tobytes(), icc_profile=icc, xmp=xmp)
    sent = Image.open(io.BytesIO(data))
    assert sent.getexif().get_ifd(0x8825) and sent.info["icc_profile"] == icc
    assert b"SecretXmp" in sent.info["xmp"]
    return data


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
async def test_output_has_no_input_metadata(engine_client, fmt):
    upload = photo_with_metadata()
    files = [
        ("content", ("p.jpg", upload, "image/jpeg")),
        ("style", ("s.png", photo_bytes(), "image/png")),
    ]
    data = {"size": "64", "steps": "2", "quality": "fast", "format": fmt}
    r = await engine_client.post("/stylize", data=data, files=files)
    assert r.status_code == 200, r.text
    out = Image.open(io.BytesIO(r.content))
    assert out.format == fmt.upper() and out.size == (64, 43)
    assert not out.getexif()
    assert not {"exif", "icc_profile", "xmp", "XML:com.adobe.xmp"} & out.info.keys()
    # The camera, the XMP text and the ICC signature ("acsp"): in the upload, not the output.
    for secret in (b"SecretCamera", b"SecretXmp", b"owner@example.org", b"acsp"):
        assert secret in upload and secret not in r.content, secret


async def test_service_still_works_after_bad_input(client):
    for payload in (b"", b"junk", photo_bytes("JPEG")[:100]):
        await client.post("/jobs", files=[("content", ("x.jpg", payload, "image/jpeg"))])
    r = await client.post("/stylize", data={"size": "64"}, files=job_files())
    assert r.status_code == 200 and Image.open(io.BytesIO(r.content)).size[0] == 64


async def test_unexpected_errors_are_json_500_without_traceback(app, client, monkeypatch):
    async def explode(*_a, **_k):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(app.state.queue, "get", explode)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        r = await c.get("/jobs/abc")
    assert r.status_code == 500
    body = r.json()
    assert body["error_id"] and "secret" not in r.text and "Traceback" not in r.text


async def test_quality_presets_are_scaled_to_the_service_limits(settings, fake):
    settings.max_size = 128
    settings.max_steps = 7
    app = create_app(settings, stylizer=fake)
    async with LifespanManager(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as c:
            r = await c.post("/stylize", data={"quality": "best"}, files=job_files())
            assert r.status_code == 200
            assert fake.calls[-1].output_size == 128 and fake.calls[-1].total_steps == 7
            r = await c.post("/stylize", data={"size": "256"}, files=job_files())
            assert r.status_code == 422

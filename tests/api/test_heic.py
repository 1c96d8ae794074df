"""iPhone photos: a real HEIC file, made here by pillow-heif, goes through the service."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from core.images import HEIF_SUPPORTED
from tests.api.conftest import photo_bytes, wait_status
from tests.conftest import heic, make_photo


def mean_colour(img: Image.Image) -> np.ndarray:
    return np.asarray(img.convert("RGB"), dtype=np.float32).mean(axis=(0, 1))


def test_the_service_installs_heic_decoding():
    assert HEIF_SUPPORTED  # pillow-heif comes with the `api` extra


async def test_a_heic_photo_is_stylized_with_its_aspect(client, fake):
    photo = make_photo(96, 64)
    data = heic(photo)
    files = [
        ("content", ("IMG_0001.HEIC", data, "image/heic")),
        ("style", ("s.png", photo_bytes(size=(64, 64)), "image/png")),
    ]
    r = await client.post("/stylize", data={"size": "64"}, files=files)
    assert r.status_code == 200, r.text
    assert Image.open(io.BytesIO(r.content)).size == (64, 43)  # 96x64 is 3:2
    got = fake.contents[-1]
    assert got.size == (96, 64) and got.mode == "RGB"
    # Lossy, but the same picture: HEVC keeps the mean colour within a few levels.
    assert np.abs(mean_colour(got) - mean_colour(photo)).max() < 6


async def test_a_portrait_heic_as_photo_and_as_style_through_jobs(client, fake):
    files = [
        ("content", ("portrait.heic", heic(make_photo(64, 96, seed=1)), "image/heif")),
        ("style", ("painting.heic", heic(make_photo(64, 64, seed=2)), "image/heic")),
    ]
    r = await client.post("/jobs", data={"size": "48"}, files=files)
    assert r.status_code == 202, r.text
    done = await wait_status(client, r.json()["id"], {"succeeded", "failed"})
    assert done["status"] == "succeeded", done
    result = await client.get(done["result_url"])
    assert Image.open(io.BytesIO(result.content)).size == (32, 48)
    assert fake.contents[-1].size == (64, 96)

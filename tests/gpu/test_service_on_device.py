"""The service end to end on the device: `python -m api` with DEVICE set, on loopback."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image

from tests.api.live_server import live_server
from tests.conftest import EXAMPLES, ROOT

pytestmark = pytest.mark.gpu

PHOTO = (EXAMPLES / "content" / "chelsea.jpg").read_bytes()
PAINTING = (ROOT / "core" / "styles" / "starry_night.jpg").read_bytes()


def png_of(response: httpx.Response) -> Image.Image:
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG"
    return image


def test_the_service_stylizes_on_the_device(device, scale):
    with live_server(DEVICE=str(device)) as server:
        ready = httpx.get(f"{server.base}/readyz", timeout=10).json()
        assert ready["status"] == "ready" and ready["device"].startswith(device.type), ready

        gatys = httpx.post(
            f"{server.base}/stylize",
            files={"content": PHOTO, "style": PAINTING},
            data={"size": str(scale.side), "steps": str(scale.steps)},
            timeout=300,
        )
        assert max(png_of(gatys).size) == scale.side

        trained = httpx.post(
            f"{server.base}/stylize",
            files={"content": PHOTO},
            data={"method": "feedforward", "preset": "starry_night", "size": str(scale.side)},
            timeout=300,
        )
        assert max(png_of(trained).size) == scale.side

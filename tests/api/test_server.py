"""The real server: uvicorn on a free loopback port, the real engine at a tiny size."""

import io
import json

import httpx
import pytest
from PIL import Image

from tests.api.live_server import live_server
from tests.conftest import encode, make_photo


@pytest.fixture(scope="module")
def server():
    with live_server(MAX_SIZE="256") as live:
        yield live.base


@pytest.mark.slow
def test_job_over_http_with_sse_and_result(server):
    files = [
        ("content", ("photo.jpg", encode(make_photo(120, 80), "JPEG"), "image/jpeg")),
        ("style", ("painting.png", encode(make_photo(80, 80, seed=3)), "image/png")),
    ]
    with httpx.Client(base_url=server, timeout=60) as client:
        r = client.post("/jobs", files=files, data={"size": "64", "steps": "3", "format": "webp"})
        assert r.status_code == 202, r.text
        job_id = r.json()["id"]
        events = []
        with client.stream("GET", r.headers["location"] + "/events") as stream:
            for line in stream.iter_lines():
                if line.startswith("data:"):
                    events.append(json.loads(line[5:]))
        assert events[-1]["status"] == "succeeded", events[-1]
        assert events[-1]["step"] == 3
        result = client.get(f"/jobs/{job_id}/result")
        assert result.headers["content-type"] == "image/webp"
        assert Image.open(io.BytesIO(result.content)).size == (64, 43)
        styles = client.get("/styles").json()
        assert "gatys" in styles[0]["methods"]
        ready = client.get("/readyz").json()
        assert ready["device"] == "cpu" and ready["warm_up_seconds"] is not None

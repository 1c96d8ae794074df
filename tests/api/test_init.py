"""`init` over HTTP: the seed draws the noise of init=noise and is refused where it would change
nothing; init=preview needs a trained model for the painting and counts its shorter schedule."""

from __future__ import annotations

import io
import threading

import numpy as np
import pytest
from PIL import Image

from core.params import StyleParams
from tests.api.conftest import job_files

TINY = {"size": "64", "steps": "3", "quality": "fast"}
PREVIEW_ERROR = "init: preview needs a trained model for the painting; "


async def stylized(client, **data: str) -> bytes:
    r = await client.post("/stylize", data={**TINY, **data}, files=job_files())
    assert r.status_code == 200, r.text
    return r.content


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.float32)


async def test_the_seed_picks_the_noise_start(engine_client):
    first = await stylized(engine_client, init="noise", seed="1")
    again = await stylized(engine_client, init="noise", seed="1")
    other = await stylized(engine_client, init="noise", seed="2")
    assert first == again  # same seed, same bytes
    # Another seed, another image: not a stray pixel but a visible change (0..255 levels).
    assert np.abs(pixels(other) - pixels(first)).mean() > 1.0


@pytest.mark.parametrize("init", [None, "content", "preview"])
async def test_a_seed_without_init_noise_is_422_naming_the_seed(client, fake, init):
    data = {"size": "64", "preset": "starry_night", "seed": "5"}
    if init is not None:
        data["init"] = init
    r = await client.post("/jobs", data=data, files=job_files(style=False))
    assert r.status_code == 422, r.text
    assert r.json()["detail"] == "seed: applies only with init=noise"
    assert fake.calls == []


async def test_init_on_a_trained_model_is_422(client):
    data = {"preset": "starry_night", "method": "feedforward", "init": "noise"}
    r = await client.post("/jobs", data=data, files=job_files(style=False))
    assert r.status_code == 422
    assert r.json()["detail"] == "init: does not apply to method feedforward (only to gatys)"


@pytest.mark.parametrize(
    ("data", "style", "where"),
    [
        ({"preset": "shipwreck"}, False, "preset shipwreck has none"),  # the fake has no model
        ({}, True, "an uploaded style image has none"),
    ],
)
async def test_preview_without_a_trained_model_is_422(client, fake, data, style, where):
    r = await client.post(
        "/jobs", data={"size": "64", "init": "preview", **data}, files=job_files(style=style)
    )
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail.startswith(PREVIEW_ERROR) and where in detail
    assert fake.calls == []


async def test_preview_without_a_trained_model_in_the_real_engine_is_422(engine_client):
    # The real engine here serves no trained model, so no preset has one.
    data = {**TINY, "preset": "starry_night", "init": "preview"}
    r = await engine_client.post("/jobs", data=data, files=job_files(style=False))
    assert r.status_code == 422 and r.json()["detail"].startswith(PREVIEW_ERROR)


async def test_preview_reaches_the_engine_and_counts_the_shorter_schedule(client, fake):
    fake.gate = threading.Event()  # hold the job before its first progress report
    try:
        data = {"preset": "starry_night", "init": "preview"}
        r = await client.post("/jobs", data=data, files=job_files(style=False))
        assert r.status_code == 202, r.text
        refine = StyleParams(preset="starry_night", init="preview")
        from_photo = StyleParams(preset="starry_night")
        assert r.json()["total_steps"] == refine.total_steps < from_photo.total_steps
        fake.step_started.wait(10)
        assert fake.calls[-1].init == "preview"
    finally:
        fake.gate.set()

"""Fields a job's method does not use are refused (422 naming the field and the method), not
accepted and ignored; the OpenAPI schema and docs/http-contract.md say which apply where."""

from __future__ import annotations

import re

import httpx
import pytest
from asgi_lifespan import LifespanManager

from api.main import create_app
from core.options import APPLIES_TO, applies, applies_note
from core.params import METHODS
from tests.api.conftest import job_files
from tests.conftest import ROOT

GATYS_ONLY = {
    "content_weight": "2",
    "style_weight": "3",
    "tv_weight": "1",
    "steps": "5",
    "seed": "7",
    "init": "noise",  # the seed draws its noise: without it the seed is refused
}
EVERY_METHOD = {
    "size": "64",
    "quality": "fast",
    "strength": "0.5",
    "preserve_color": "luminance",
    "format": "jpeg",
}
PRESET_JOB = {"preset": "starry_night", "method": "feedforward"}  # the fake has this model


class WithTransformer:
    """The fake engine plus a transformer, which takes uploaded paintings."""

    @staticmethod
    def fast_models():
        return {"feedforward": ["starry_night"], "transformer": ["the_scream"]}


@pytest.fixture
async def transformer_client(settings, fake):
    fake.fast_models = WithTransformer.fast_models
    app = create_app(settings, stylizer=fake)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            yield c


def two_paintings():
    files = job_files()
    return [*files, ("style", ("b.png", files[-1][1][1], "image/png"))]


@pytest.mark.parametrize(("field", "value"), sorted(GATYS_ONLY.items()))
async def test_a_gatys_only_field_on_a_trained_model_is_422_naming_both(client, fake, field, value):
    r = await client.post(
        "/jobs", files=job_files(style=False), data={**PRESET_JOB, "size": "64", field: value}
    )
    assert r.status_code == 422, r.text
    assert r.json()["detail"] == (f"{field}: does not apply to method feedforward (only to gatys)")
    assert fake.calls == []


async def test_every_ignored_field_is_named_at_once(client):
    r = await client.post(
        "/stylize", files=job_files(style=False), data={**PRESET_JOB, **GATYS_ONLY}
    )
    assert r.status_code == 422
    detail = r.json()["detail"]
    for field in GATYS_ONLY:
        assert f"{field}: does not apply to method feedforward" in detail


async def test_fields_every_method_uses_are_taken_by_a_trained_model(client, fake):
    r = await client.post(
        "/stylize", files=job_files(style=False), data={**PRESET_JOB, **EVERY_METHOD}
    )
    assert r.status_code == 200, r.text
    params = fake.calls[-1]
    assert (params.method, params.quality, params.size) == ("feedforward", "fast", 64)
    assert (params.strength, params.preserve_color) == (0.5, "luminance")
    assert r.headers["content-type"] == "image/jpeg"


async def test_the_same_fields_are_taken_by_gatys(client, fake):
    data = {"preset": "starry_night", **GATYS_ONLY, **EVERY_METHOD}
    r = await client.post("/jobs", files=job_files(style=False), data=data)
    assert r.status_code == 202, r.text


async def test_an_empty_field_is_not_a_field_set(client, fake):
    r = await client.post(
        "/stylize", files=job_files(style=False), data={**PRESET_JOB, "size": "64", "steps": ""}
    )
    assert r.status_code == 200, r.text


async def test_style_blend_goes_to_the_transformer_but_not_to_per_painting_models(
    transformer_client, fake
):
    r = await transformer_client.post(
        "/stylize",
        files=two_paintings(),
        data={"method": "transformer", "style_blend": "1,3", "size": "64"},
    )
    assert r.status_code == 200, r.text
    assert fake.calls[-1].style_blend == (1.0, 3.0)
    r = await transformer_client.post(
        "/jobs", files=job_files(style=False), data={**PRESET_JOB, "style_blend": "1"}
    )
    assert r.status_code == 422
    assert r.json()["detail"].startswith("style_blend: does not apply to method feedforward")
    r = await transformer_client.post(
        "/jobs", files=two_paintings(), data={"method": "transformer", "steps": "3"}
    )
    assert r.status_code == 422 and "steps: does not apply to method transformer" in r.text


def form_properties() -> dict[str, dict]:
    schema = create_app().openapi()
    body = schema["paths"]["/jobs"]["post"]["requestBody"]["content"]["multipart/form-data"]
    name = body["schema"]["$ref"].rsplit("/", 1)[-1]
    return schema["components"]["schemas"][name]["properties"]


def test_every_form_field_is_in_the_table_and_its_description_says_where_it_applies():
    properties = form_properties()
    inputs = {"content", "style", "preset", "method"}  # what to stylize, and how
    assert set(properties) - inputs <= set(APPLIES_TO)
    for field in set(properties) - inputs:
        assert applies_note(field) in properties[field]["description"], field


def test_the_contract_document_has_the_same_table():
    text = (ROOT / "docs" / "http-contract.md").read_text()
    table = text[text.index("| field | type | methods |") :].split("\n\n")[0]
    documented = {}
    for row in table.splitlines()[2:]:
        names, _, methods, _ = re.split(r"(?<!\\)\|", row)[1:-1]  # "\|" is a pipe in a cell
        for field in re.findall(r"`(\w+)`", names):
            documented[field] = methods.strip()
    for field in APPLIES_TO.keys() & documented.keys():
        want = [m for m in METHODS if applies(field, m)]
        expected = "all" if len(want) == len(METHODS) else ", ".join(want)
        assert documented[field] == expected, field
    assert set(form_properties()) <= documented.keys()

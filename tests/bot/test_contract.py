"""What the bot reads and sends exists in the service's OpenAPI schema (docs/http-contract.md)."""

from __future__ import annotations

import re

import httpx
import pytest

from bot.api_client import Job, JobOptions, Style, StylizeClient
from bot.preferences import Preferences

api_main = pytest.importorskip("api.main")
api_settings = pytest.importorskip("api.settings")


@pytest.fixture(scope="module")
def schema() -> dict:
    return api_main.create_app(api_settings.Settings(warm_up=False)).openapi()


def resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def response_of(schema: dict, path: str, method: str, status: str = "200") -> dict:
    content = schema["paths"][path][method]["responses"][status]["content"]
    return resolve(schema, content["application/json"]["schema"])


def test_the_job_fields_the_bot_reads(schema):
    for method in ("get", "delete"):
        job = response_of(schema, "/jobs/{job_id}", method)
        assert set(Job.model_fields) <= set(job["properties"]), method


def test_the_style_fields_the_bot_reads(schema):
    styles = response_of(schema, "/styles", "get")
    assert set(Style.model_fields) <= set(resolve(schema, styles["items"])["properties"])


def test_the_form_fields_the_bot_sends(schema):
    body = schema["paths"]["/jobs"]["post"]["requestBody"]["content"]["multipart/form-data"]
    fields = set(resolve(schema, body["schema"])["properties"])
    sent = set(JobOptions.__dataclass_fields__) | {"content", "style", "preset", "format"}
    assert sent <= fields


def test_the_endpoints_the_bot_calls(schema):
    needed = {
        ("/styles", "get"),
        ("/styles/{style_id}/image", "get"),
        ("/jobs", "post"),
        ("/jobs/{job_id}", "get"),
        ("/jobs/{job_id}", "delete"),
        ("/jobs/{job_id}/events", "get"),
        ("/jobs/{job_id}/result", "get"),
    }
    assert {(p, m) for p, ops in schema["paths"].items() for m in ops} >= needed


@pytest.mark.parametrize("method", ["gatys", "feedforward", "gan", "transformer"])
async def test_the_bot_sends_no_field_that_its_method_ignores(method):
    options = pytest.importorskip("core.options")  # the service's table: it refuses the rest
    bodies: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.read())
        return httpx.Response(202, json={"id": "j1", "status": "queued", "method": method})

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://svc")
    client = StylizeClient(http, retries=0)
    for prefs in (Preferences(), Preferences("strong", "best", "keep")):
        for factor in (1.0, 2.0):
            await client.create_job(b"photo", b"painting", "wave", prefs.options(method, factor))
    await client.close()
    for body in bodies:
        fields = {name.decode() for name in re.findall(rb'name="([^"]+)"', body)}
        tuning = fields - {"content", "style", "preset", "method"}
        assert "strength" in tuning
        assert all(options.applies(f, method) for f in tuning), (method, tuning)

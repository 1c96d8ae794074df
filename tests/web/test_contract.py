"""The fields the page reads and sends exist in the service's OpenAPI schema (no browser)."""

from __future__ import annotations

import re

from api.main import create_app
from api.settings import Settings
from core.params import ClipParams
from tests.conftest import ROOT

READS = {
    "JobPublic": {"id", "status", "progress", "step", "queue_position", "eta_seconds", "error"}
    | {"result_url", "preview_url"},
    "StylePublic": {"id", "title", "artist", "year", "image_url"},
    "MethodPublic": {"id", "one_pass", "any_painting", "presets", "options"},
}


def schema() -> dict:
    return create_app(Settings(warm_up=False)).openapi()


def test_the_fields_the_page_reads_are_in_the_contract():
    components = schema()["components"]["schemas"]
    for name, fields in READS.items():
        assert fields <= set(components[name]["properties"]), name


def test_the_form_fields_the_page_sends_are_in_the_contract():
    source = (ROOT / "web" / "js" / "controls.js").read_text()
    sent = set(re.findall(r'form\.append\("(\w+)"', source))
    assert {"content", "method", "preset", "style", "quality", "strength"} <= sent
    spec = schema()
    body = spec["paths"]["/jobs"]["post"]["requestBody"]["content"]["multipart/form-data"]
    ref = body["schema"]["$ref"].rsplit("/", 1)[-1]
    assert sent <= set(spec["components"]["schemas"][ref]["properties"])


def test_the_paths_the_page_calls_are_in_the_contract():
    source = (ROOT / "web" / "js" / "api.js").read_text()
    called = {
        re.sub(r"\$\{\w+\}", "{job_id}", p) for p in re.findall(r'[`"](/[a-z]+[^`"]*)[`"]', source)
    }
    paths = set(schema()["paths"])
    assert called and called <= paths, called - paths


def test_the_steadiness_slider_starts_at_the_services_default():
    """The page always sends `temporal` for a clip: its starting value must be the one the
    CLI and a bare HTTP request get."""
    page = (ROOT / "web" / "index.html").read_text()
    value = re.search(r'id="temporal"[^>]*value="([\d.]+)"', page)
    shown = re.search(r'id="temporal-value"[^>]*>([\d.]+)<', page)
    assert value and shown
    assert float(value[1]) == float(shown[1]) == ClipParams.temporal

"""The compose files: valid against the Compose specification (offline), and the project's rules."""

import json
import re
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILES = sorted(ROOT.glob("docker-compose*.yml"))


class _Loader(yaml.SafeLoader):
    pass


# Compose's `!reset` and `!override` merge tags: keep the value, drop the tag.
for tag in ("!reset", "!override"):
    _Loader.add_constructor(
        tag,
        lambda loader, node: (
            loader.construct_sequence(node)
            if isinstance(node, yaml.SequenceNode)
            else loader.construct_scalar(node)
        ),
    )


def load(path: Path) -> dict:
    return yaml.load(path.read_text(), Loader=_Loader)


@pytest.fixture(scope="module")
def schema() -> dict:
    vendored = files("check_jsonschema") / "builtin_schemas" / "vendor" / "compose-spec.json"
    return json.loads(vendored.read_text())


@pytest.fixture(scope="module")
def main() -> dict:
    return load(ROOT / "docker-compose.yml")


def test_compose_files_exist():
    names = {p.name for p in COMPOSE_FILES}
    assert {"docker-compose.yml", "docker-compose.gpu.yml"} <= names


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_valid_against_compose_spec(schema, path):
    jsonschema.validate(load(path), schema)


def test_services_depended_on_have_healthchecks(main):
    services = main["services"]
    for name, service in services.items():
        for dependency, rule in (service.get("depends_on") or {}).items():
            assert rule["condition"] == "service_healthy", (name, dependency)
            assert "healthcheck" in services[dependency], dependency


def test_bot_waits_for_a_healthy_api(main):
    assert main["services"]["bot"]["depends_on"]["api"]["condition"] == "service_healthy"


def test_gpu_variant_reserves_an_nvidia_device():
    gpu = load(ROOT / "docker-compose.gpu.yml")
    devices = gpu["services"]["api"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["driver"] == "nvidia" and "gpu" in devices[0]["capabilities"]


def test_only_the_api_publishes_ports(main):
    assert [n for n, s in main["services"].items() if s.get("ports")] == ["api"]


def test_no_literal_secrets():
    for path in COMPOSE_FILES:
        for name, service in (load(path).get("services") or {}).items():
            for key, value in (service.get("environment") or {}).items():
                if key in ("TELEGRAM_BOT_TOKEN", "API_KEY"):
                    assert str(value).startswith("${"), (path.name, name, key)


def test_token_fails_fast_with_a_message(main):
    token = main["services"]["bot"]["environment"]["TELEGRAM_BOT_TOKEN"]
    assert re.fullmatch(r"\$\{TELEGRAM_BOT_TOKEN:\?.+\}", token)


def test_env_example_documents_every_variable():
    referenced = set()
    for path in COMPOSE_FILES:
        referenced |= set(re.findall(r"\$\{([A-Z_]+)", path.read_text()))
    documented = {
        line.split("=")[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert referenced <= documented, referenced - documented


def test_bot_image_has_no_torch():
    dockerfile = (ROOT / "docker" / "bot.Dockerfile").read_text()
    assert "torch" not in dockerfile.replace("no torch", "")
    assert ".[bot" in dockerfile and "[api]" not in dockerfile


def test_images_run_as_non_root_with_healthcheck():
    for name in ("api", "bot"):
        text = (ROOT / "docker" / f"{name}.Dockerfile").read_text()
        assert re.search(r"^USER (?!root)", text, re.M), name
    assert "HEALTHCHECK" in (ROOT / "docker" / "api.Dockerfile").read_text()

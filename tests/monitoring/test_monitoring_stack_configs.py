"""docker-compose.monitoring.yml, Filebeat and Logstash: validated as far as possible offline.

No Docker engine, Logstash or Filebeat runs here, so: yamllint, the Compose Specification's
JSON schema (vendored in check-jsonschema), our Logstash grammar parser, and cross-checks
between the files (ports, hosts, mounted paths, scrape targets).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.monitoring.logstash_config import parse as parse_logstash
from tests.monitoring.monitoring_support import MONITORING, REPO

COMPOSE_FILE = REPO / "docker-compose.monitoring.yml"
FILEBEAT = MONITORING / "elk" / "filebeat.yml"
LOGSTASH = MONITORING / "elk" / "logstash.conf"
REQUIRED_SERVICES = {
    "prometheus",
    "alertmanager",
    "grafana",
    "postgres-exporter",
    "redis-exporter",
    "node-exporter",
    "elasticsearch",
    "logstash",
    "kibana",
    "filebeat",
}


def _compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def _services() -> dict[str, Any]:
    return _compose()["services"]


def _validate_compose(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_yaml_files_pass_yamllint() -> None:
    files = [COMPOSE_FILE, *MONITORING.rglob("*.yml")]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "yamllint",
            "--strict",
            "-c",
            str(MONITORING / "yamllint.yml"),
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_file_matches_the_compose_specification() -> None:
    result = _validate_compose(COMPOSE_FILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_rejects_a_broken_compose_file(tmp_path: Path) -> None:
    broken = _compose()
    broken["services"]["prometheus"]["portz"] = ["9090:9090"]
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump(broken))
    result = _validate_compose(path)
    assert result.returncode != 0
    assert "portz" in result.stdout + result.stderr


def test_all_monitoring_services_are_defined() -> None:
    assert set(_services()) >= REQUIRED_SERVICES


@pytest.mark.parametrize("service", sorted(REQUIRED_SERVICES))
def test_images_are_pinned_to_a_version(service: str) -> None:
    image = _services()[service]["image"]
    name, _, tag = image.rpartition(":")
    assert name and "/" in name, image
    assert re.fullmatch(r"v?\d+\.\d+\.\d+", tag), f"{service}: tag {tag!r} is not a version"


def test_no_secret_is_committed() -> None:
    secret_key = re.compile(r"PASS(WORD)?$|SECRET|TOKEN|_KEY$", re.IGNORECASE)
    for name, service in _services().items():
        for key, value in (service.get("environment") or {}).items():
            if secret_key.search(key):
                assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]+\}", str(value)), (
                    f"{name}.{key} must come from the environment with ${{VAR:?message}}"
                )


def test_published_ports_listen_on_loopback_only() -> None:
    for name, service in _services().items():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} publicly"


def test_mounted_config_files_exist() -> None:
    for name, service in _services().items():
        for volume in service.get("volumes", []):
            source = str(volume).split(":", 1)[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), f"{name} mounts missing {source}"


def test_prometheus_scrapes_the_exporters_on_their_ports() -> None:
    config = yaml.safe_load((MONITORING / "prometheus" / "prometheus.yml").read_text())
    targets = {
        target
        for job in config["scrape_configs"]
        for static in job.get("static_configs", [])
        for target in static["targets"]
    }
    assert {"postgres-exporter:9187", "redis-exporter:9121", "node-exporter:9100"} <= targets
    # The stack runs as `-f docker-compose.yml -f docker-compose.monitoring.yml`.
    app_services = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    for target in targets - {"localhost:9090"}:
        host = target.split(":")[0]
        assert host in _services() or host in app_services, f"scrape target {target} is no service"
    (alertmanagers,) = config["alerting"]["alertmanagers"]
    assert alertmanagers["static_configs"][0]["targets"] == ["alertmanager:9093"]


def test_prometheus_discovers_the_platforms_api_service() -> None:
    config = yaml.safe_load((MONITORING / "prometheus" / "prometheus.yml").read_text())
    (api_job,) = [j for j in config["scrape_configs"] if j["job_name"] == "thehotpotspot-api"]
    (dns,) = api_job["dns_sd_configs"]
    platform = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    assert dns["names"] == ["api"] and "api" in platform
    # The API's own metrics listener, not the public port nginx proxies (issue 10, item 9).
    assert dns["port"] == int(platform["api"]["environment"]["METRICS_PORT"])
    assert dns["port"] != int(platform["api"]["environment"]["PORT"])


# --- Filebeat ---------------------------------------------------------------------------
def _filebeat_input() -> dict[str, Any]:
    config = yaml.safe_load(FILEBEAT.read_text())
    (provider,) = config["filebeat.autodiscover"]["providers"]
    assert provider["type"] == "docker"
    (template,) = provider["templates"]
    (stream_input,) = template["config"]
    return {"template": template, "input": stream_input, "config": config}


def test_filebeat_decodes_ecs_json_from_container_stdout() -> None:
    stream_input = _filebeat_input()["input"]
    assert stream_input["type"] == "filestream"
    container, ndjson = (next(iter(p.items())) for p in stream_input["parsers"])
    assert container == ("container", {"stream": "stdout", "format": "docker"})
    assert ndjson[0] == "ndjson"
    # ECS fields go to the event's root, dotted keys become objects, and a bad line is
    # kept with an error key rather than dropped.
    assert ndjson[1]["target"] == ""
    assert ndjson[1]["expand_keys"] is True
    assert ndjson[1]["overwrite_keys"] is True
    assert ndjson[1]["add_error_key"] is True


def test_filebeat_reads_only_the_platforms_python_services() -> None:
    condition = _filebeat_input()["template"]["condition"]
    services = {
        c["equals"]["docker.container.labels.com_docker_compose_service"] for c in condition["or"]
    }
    platform = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    assert services == {"api", "worker"}
    assert services <= set(platform)


def test_filebeat_ships_to_the_logstash_beats_input() -> None:
    config = _filebeat_input()["config"]
    (host,) = config["output.logstash"]["hosts"]
    service, port = host.split(":")
    (beats,) = parse_logstash(LOGSTASH.read_text()).plugins("input", "beats")
    assert service in _services()
    assert port == beats.settings["port"]


# --- Logstash ---------------------------------------------------------------------------
def test_logstash_pipeline_parses_into_the_three_sections() -> None:
    pipeline = parse_logstash(LOGSTASH.read_text())
    assert set(pipeline.sections) == {"input", "filter", "output"}
    known = {"input": {"beats"}, "filter": {"json", "mutate"}, "output": {"elasticsearch"}}
    for section, plugins in pipeline.sections.items():
        assert {p.name for p in plugins} <= known[section], section


def test_logstash_decodes_undecoded_ecs_lines_and_keeps_fields_at_the_root() -> None:
    (json_filter,) = parse_logstash(LOGSTASH.read_text()).plugins("filter", "json")
    assert json_filter.settings["source"] == "message"
    assert "target" not in json_filter.settings  # ECS fields stay at the root
    assert json_filter.conditions and "ecs" in json_filter.conditions[0]


def test_logstash_writes_a_logs_data_stream_with_the_password_from_env() -> None:
    (output,) = parse_logstash(LOGSTASH.read_text()).plugins("output", "elasticsearch")
    assert output.settings["password"] == "${ELASTIC_PASSWORD}"
    assert output.settings["data_stream"] == "true"
    assert output.settings["data_stream_type"] == "logs"
    (host,) = output.settings["hosts"]
    assert host.split("//")[1].split(":")[0] in _services()
    assert "ELASTIC_PASSWORD" in _services()["logstash"]["environment"]


@pytest.mark.parametrize(
    "broken",
    [
        "input { beats { port => 5044 }",
        "input { beats { port 5044 } }",
        "inputs { beats { } }",
        "filter { if [a] { mutate { } } else }",
    ],
)
def test_the_logstash_parser_rejects_broken_configs(broken: str) -> None:
    with pytest.raises(ValueError):
        parse_logstash(broken)

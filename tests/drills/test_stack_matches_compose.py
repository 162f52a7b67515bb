"""The local stack describes the topology docker-compose.yml and k8s/ deploy (issue 12, item 4).

Where they must agree they are compared: the environment every API and relay process gets
(variable names, and the values that are settings rather than addresses or secrets), the
ports nginx and Prometheus reach them on, and the probes that decide they are healthy.
Quick and offline (no server starts), so it runs in every suite.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from stack import (
    API_NAMES,
    API_PROBE,
    OFFSETS,
    REPLICA_CHECK,
    ROOT,
    WORKER_NAMES,
    WORKER_PROBE,
    Stack,
    render_nginx_site,
    render_prometheus,
)

# Variables only the stack sets, each for a reason compose does not share.
STACK_ONLY = {
    "HOST": "loopback; the image sets HOST=0.0.0.0 itself (Dockerfile ENV)",
    "HOTPOT_DATA_DIR": "the stack's folder; the image sets /var/lib/hotpot (Dockerfile ENV)",
    "HOTPOT_SEED_DEMO": "off, explicitly; production never seeds anyway",
    "CHAIN_ID": "31337, compose's anvil default too",
    "SETTLEMENT_RELAY_IN_PROCESS": "false; compose's default with CHAIN_RPC_URLS set",
    "SIWE_DOMAIN": "the stack's loopback origin for wallet sign-in",
    "SIWE_URI": "the stack's loopback origin for wallet sign-in",
}
# Settings (not secrets, hosts or addresses) whose values must be the same.
SAME_VALUE = ("HOTPOT_ENV", "HOTPOT_EMBEDDED", "TRUSTED_PROXY_HOPS")


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded["services"]


def _k8s(name: str, kind: str) -> list[dict[str, Any]]:
    docs = yaml.safe_load_all((ROOT / "k8s" / name).read_text())
    return [d for d in docs if d and d.get("kind") == kind]


def _container(name: str, container: str) -> dict[str, Any]:
    for deployment in _k8s(name, "Deployment"):
        for spec in deployment["spec"]["template"]["spec"]["containers"]:
            if spec["name"] == container:
                return dict(spec)
    raise AssertionError(f"no container {container} in k8s/{name}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Stack:
    # A stack that is never started: its environment and rendered configuration only.
    return Stack(tmp_path_factory.mktemp("stack-config"), 30000)


def _same_env(
    compose_env: dict[str, Any], stack_env: dict[str, str], what: str, unused: frozenset[str]
) -> None:
    missing = sorted(set(compose_env) - set(stack_env) - unused)
    assert not missing, f"compose gives the {what} {missing}; the stack does not"
    extra = sorted(set(stack_env) - set(compose_env) - set(STACK_ONLY))
    assert not extra, f"the stack gives the {what} {extra}; compose does not (or list why)"
    for name in SAME_VALUE:
        assert str(compose_env[name]) == stack_env[name], name


def test_api_processes_get_the_environment_compose_gives(stack: Stack) -> None:
    compose_env = _compose()["api"]["environment"]
    for name in API_NAMES:
        _same_env(compose_env, stack.api_env(name), "API", frozenset())
    assert "RELAY_PRIVATE_KEY" not in compose_env, "only the relay gets the signing key"
    assert "RELAY_PRIVATE_KEY" not in stack.api_env("api-1")


def test_relays_get_the_environment_compose_gives(stack: Stack) -> None:
    compose_env = _compose()["worker"]["environment"]
    for name in WORKER_NAMES:
        env = stack.worker_env(name)
        # compose's shared block names the API's PORT, which the relay never reads.
        _same_env(compose_env, env, "relay", frozenset({"PORT"}))
        assert env["WORKER_METRICS_PORT"] == str(stack.port(name))


def test_ports_agree_from_nginx_to_prometheus(stack: Stack) -> None:
    compose = _compose()
    api_env = compose["api"]["environment"]
    api_port, metrics_port = int(api_env["PORT"]), int(api_env["METRICS_PORT"])
    assert api_port != metrics_port
    # nginx proxies the API port only; compose exposes both, publishes neither.
    site = (ROOT / "nginx" / "conf.d" / "thehotpotspot.conf").read_text()
    assert f"server api:{api_port} " in site
    assert "location = /metrics" in site and "return 404;" in site
    assert {str(api_port), str(metrics_port)} <= set(compose["api"]["expose"])
    assert "ports" not in compose["api"], "the API is reached through nginx only"
    # Prometheus scrapes the metrics port, in compose and in the stack.
    prometheus = yaml.safe_load((ROOT / "monitoring" / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in prometheus["scrape_configs"]}
    assert jobs["thehotpotspot-api"]["dns_sd_configs"][0]["port"] == metrics_port
    worker_port = int(compose["worker"]["environment"]["WORKER_METRICS_PORT"])
    assert jobs["thehotpotspot-worker"]["static_configs"][0]["targets"] == [f"worker:{worker_port}"]
    stack_targets = stack.prometheus_targets()
    assert stack_targets["thehotpotspot-api"] == [
        f"127.0.0.1:{stack.api_env(n)['METRICS_PORT']}" for n in API_NAMES
    ]
    assert stack_targets["thehotpotspot-worker"] == [
        f"127.0.0.1:{stack.worker_env(n)['WORKER_METRICS_PORT']}" for n in WORKER_NAMES
    ]
    rendered = render_prometheus(
        prometheus, rules=ROOT / "monitoring" / "prometheus" / "rules", targets=stack_targets
    )
    assert {j["job_name"] for j in rendered["scrape_configs"]} == set(jobs)
    # nginx of the stack proxies each API's PORT, never a metrics port.
    stack_site = render_nginx_site(
        site,
        upstreams=[int(stack.api_env(n)["PORT"]) for n in API_NAMES],
        http_port=stack.port("nginx-http"),
        https_port=stack.port("nginx-https"),
        tls_dir=Path("/tls"),
    )
    for name in API_NAMES:
        assert f"127.0.0.1:{stack.port(name)} " in stack_site
        assert f"127.0.0.1:{stack.port(name + '-metrics')}" not in stack_site
    # Kubernetes: the same two ports, the annotation Prometheus follows on the metrics one.
    api = _container("api.yaml", "api-server")
    ports = {p["name"]: p["containerPort"] for p in api["ports"]}
    assert ports == {"http": api_port, "metrics": metrics_port}
    env = {e["name"]: e.get("value") for e in api["env"]}
    assert (env["PORT"], env["METRICS_PORT"]) == (str(api_port), str(metrics_port))
    for deployment in _k8s("api.yaml", "Deployment"):
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/port"] == str(metrics_port)
    for service in _k8s("api.yaml", "Service"):
        assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http"]
    relay = _container("relay.yaml", "relay")
    assert [p["containerPort"] for p in relay["ports"]] == [worker_port]
    assert len(OFFSETS) == len(set(OFFSETS.values())), "two stack pieces share a port"


def test_probes_agree(stack: Stack) -> None:
    api = _container("api.yaml", "api-server")
    assert api["readinessProbe"]["httpGet"]["path"] == API_PROBE
    assert api["livenessProbe"]["httpGet"]["path"] == "/health"
    # The image's HEALTHCHECK (compose's) asks /health, the liveness probe's path.
    assert "/health" in (ROOT / "Dockerfile").read_text().split("HEALTHCHECK --interval", 1)[1]
    relay = _container("relay.yaml", "relay")
    assert relay["readinessProbe"]["httpGet"]["path"] == WORKER_PROBE
    assert relay["readinessProbe"]["httpGet"]["port"] == "metrics"
    # The replica is healthy only while it is really a standby, in compose and in the stack.
    replica_check = " ".join(_compose()["postgres-replica"]["healthcheck"]["test"])
    assert REPLICA_CHECK in replica_check and "grep -qx t" in replica_check
    assert stack.pieces["api-1"].address.startswith(stack.url("api-1"))

"""scripts/blue-green-deploy.sh against the objects the chart renders with blueGreen on.

kubectl is tests/deploy/fake_kubectl.py (no cluster runs here): it answers from the
rendered objects, applies the script's changes to them and records every call. The health
URL is a real HTTP server that answers for the colour the Service selects at that moment.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import helm_python as helm
import pytest
from deploy_support import BLUE_GREEN, ROOT, render

SCRIPT = ROOT / "scripts" / "blue-green-deploy.sh"
FAKE = ROOT / "tests" / "deploy" / "fake_kubectl.py"
NS = "thehotpotspot"
IMAGE = "docker.io/thehotpotspot/api"


class Cluster:
    """The rendered objects in the fake kubectl's state file, and its call log."""

    def __init__(self, tmp: Path, docs: list[dict[str, Any]]) -> None:
        tmp.mkdir(exist_ok=True)
        self.state, self.log, self.bin = tmp / "state.json", tmp / "calls.log", tmp / "bin"
        self.rendered = {(d["kind"], d["metadata"]["name"]) for d in docs}
        self.state.write_text(json.dumps(docs))
        self.log.touch()
        self.bin.mkdir()
        (self.bin / "kubectl").symlink_to(FAKE)

    def objects(self) -> dict[tuple[str, str], dict[str, Any]]:
        docs = json.loads(self.state.read_text())
        return {(d["kind"], d["metadata"]["name"]): d for d in docs}

    def calls(self) -> list[list[str]]:
        return [json.loads(line)[2:] for line in self.log.read_text().splitlines()]

    def live_tag(self) -> str:
        objs = self.objects()
        color = objs[("Service", "thehotpotspot-api-stable")]["spec"]["selector"]["color"]
        pod = objs[("Deployment", f"thehotpotspot-api-{color}")]["spec"]["template"]["spec"]
        return str(pod["containers"][0]["image"].rsplit(":", 1)[1])


@pytest.fixture
def cluster(tmp_path: Path) -> Cluster:
    return Cluster(tmp_path, render(BLUE_GREEN))


@pytest.fixture
def health_url(cluster: Cluster) -> Iterator[str]:
    """/health answers 503 while the live colour runs the image tag `broken`."""

    class Health(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(503 if cluster.live_tag() == "broken" else 200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/health"
    server.shutdown()
    thread.join()


def deploy(
    cluster: Cluster, version: str, health_url: str, timeout: int, **env: str
) -> subprocess.CompletedProcess[str]:
    environ = {
        **os.environ,
        "PATH": f"{cluster.bin}:{os.environ['PATH']}",
        "FAKE_KUBECTL_STATE": str(cluster.state),
        "FAKE_KUBECTL_LOG": str(cluster.log),
        **env,
    }
    cmd = [str(SCRIPT), "--health-url", health_url, "--timeout", str(timeout), version]
    return subprocess.run(cmd, capture_output=True, text=True, env=environ, timeout=120)


def named_objects(calls: list[list[str]]) -> set[tuple[str, str]]:
    kinds = {"deployment": "Deployment", "service": "Service"}
    out = set()
    for call in calls:
        for i, arg in enumerate(call):
            if "/" in arg and arg.split("/")[0] in kinds:
                kind, name = arg.split("/")
                out.add((kinds[kind], name))
            elif arg in kinds and i + 1 < len(call):
                out.add((kinds[arg], call[i + 1]))
    return out


def test_the_chart_renders_two_colours_and_a_service_on_the_active_one() -> None:
    objs = {(d["kind"], d["metadata"]["name"]): d for d in render(BLUE_GREEN)}
    blue, green = (objs[("Deployment", f"thehotpotspot-api-{c}")] for c in ("blue", "green"))
    assert ("Deployment", "thehotpotspot-api") not in objs
    assert "replicas" not in blue["spec"], "the HPA owns the live colour's count"
    assert green["spec"]["replicas"] == 0
    assert green["spec"]["selector"]["matchLabels"]["color"] == "green"
    assert green["spec"]["template"]["metadata"]["labels"]["color"] == "green"
    assert objs[("Service", "thehotpotspot-api-stable")]["spec"]["selector"]["color"] == "blue"
    hpa = objs[("HorizontalPodAutoscaler", "thehotpotspot-api-green")]
    assert hpa["spec"]["scaleTargetRef"]["name"] == "thehotpotspot-api-green"


def test_blue_green_refuses_canary_and_an_unknown_colour() -> None:
    with pytest.raises(helm.HelmError, match="enable one"):
        render({**BLUE_GREEN, "canary": {"enabled": True}})
    with pytest.raises(helm.HelmError, match="blue or green"):
        render({"blueGreen": {"enabled": True, "activeColor": "red"}})


def test_deploy_updates_the_idle_colour_switches_and_scales_the_old_down(
    cluster: Cluster, health_url: str
) -> None:
    state = cluster.objects()
    # The HPA has scaled the live colour to 4: the new colour starts with as many.
    state[("Deployment", "thehotpotspot-api-blue")]["spec"]["replicas"] = 4
    cluster.state.write_text(json.dumps(list(state.values())))

    proc = deploy(cluster, "abc123def456", health_url, timeout=30)

    assert proc.returncode == 0, proc.stderr
    assert cluster.calls() == [
        ["get", "service", "thehotpotspot-api-stable", "-o", "jsonpath={.spec.selector.color}"],
        ["get", "deployment", "thehotpotspot-api-blue", "-o", "jsonpath={.spec.replicas}"],
        [
            "set",
            "image",
            "deployment/thehotpotspot-api-green",
            f"api-server={IMAGE}:abc123def456",
        ],
        ["scale", "deployment/thehotpotspot-api-green", "--replicas=4"],
        ["rollout", "status", "deployment/thehotpotspot-api-green", "--timeout=30s"],
        [
            "patch",
            "service",
            "thehotpotspot-api-stable",
            "--type",
            "merge",
            "-p",
            '{"spec":{"selector":{"color":"green"}}}',
        ],
        ["scale", "deployment/thehotpotspot-api-blue", "--replicas=0"],
    ]
    assert named_objects(cluster.calls()) <= cluster.rendered
    assert all(
        json.loads(line)[:2] == ["--namespace", NS] for line in cluster.log.read_text().splitlines()
    )
    after = cluster.objects()
    assert after[("Deployment", "thehotpotspot-api-blue")]["spec"]["replicas"] == 0
    assert cluster.live_tag() == "abc123def456"


def test_an_unhealthy_new_colour_sends_the_traffic_back(cluster: Cluster, health_url: str) -> None:
    proc = deploy(cluster, "broken", health_url, timeout=3)

    assert proc.returncode == 1
    assert "rolling back to blue" in proc.stderr
    patches = [c[-1] for c in cluster.calls() if c[0] == "patch"]
    assert patches == [
        '{"spec":{"selector":{"color":"green"}}}',
        '{"spec":{"selector":{"color":"blue"}}}',
    ]
    assert ["scale", "deployment/thehotpotspot-api-blue", "--replicas=0"] not in cluster.calls()
    assert cluster.live_tag() == "0.1.0", "the old colour serves again, untouched"


def test_a_new_colour_that_never_gets_ready_gets_no_traffic(
    cluster: Cluster, health_url: str
) -> None:
    proc = deploy(cluster, "v2", health_url, timeout=5, FAKE_KUBECTL_UNREADY_TAG="v2")

    assert proc.returncode == 1
    assert "did not become ready; traffic stays on blue" in proc.stderr
    assert [c for c in cluster.calls() if c[0] == "patch"] == []
    assert cluster.live_tag() == "0.1.0"


def test_without_blue_green_values_the_script_says_what_is_missing(
    tmp_path: Path, health_url: str
) -> None:
    rolling = Cluster(tmp_path / "rolling", render())
    proc = deploy(rolling, "v2", health_url, timeout=5)
    assert proc.returncode == 1
    assert "has no color selector" in proc.stderr
    assert named_objects(rolling.calls()) <= rolling.rendered

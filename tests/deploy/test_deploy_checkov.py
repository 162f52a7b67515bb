"""checkov on the Kubernetes manifests (raw and rendered chart), the Dockerfile and
Terraform: no failed check, except the skips written down with a reason."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from deploy_support import ALL_ON, ROOT, render

SKIPS: dict[str, dict[str, str]] = yaml.safe_load(
    (ROOT / "tests" / "deploy" / "checkov-skips.yaml").read_text()
)


def checkov(tools: Path, framework: str, target: list[str], skip_key: str) -> dict[str, Any]:
    cmd = [
        str(tools / "checkov-venv" / "bin" / "checkov"),
        *target,
        "--framework",
        framework,
        "--skip-download",
        "--quiet",
        "--compact",
        "-o",
        "json",
    ]
    if SKIPS.get(skip_key):
        cmd += ["--skip-check", ",".join(SKIPS[skip_key])]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    report = json.loads(proc.stdout)
    reports = report if isinstance(report, list) else [report]
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']})"
        for r in reports
        for c in r["results"]["failed_checks"]
    ]
    assert failed == [], "\n".join(failed)
    assert proc.returncode == 0, proc.stderr
    passed = sum(r["summary"]["passed"] for r in reports)
    return {"passed": passed}


def test_every_skip_has_a_reason() -> None:
    for framework, checks in SKIPS.items():
        for check_id, reason in checks.items():
            assert len(reason.split()) >= 8, f"{framework}/{check_id}: say why"


def test_checkov_kubernetes_manifests(deploy_tools: Path) -> None:
    result = checkov(deploy_tools, "kubernetes", ["-d", str(ROOT / "k8s")], "kubernetes")
    assert result["passed"] > 100


def test_checkov_rendered_helm_chart(deploy_tools: Path, tmp_path: Path) -> None:
    out = tmp_path / "rendered.yaml"
    out.write_text(yaml.safe_dump_all(render(ALL_ON)))
    result = checkov(deploy_tools, "kubernetes", ["-f", str(out)], "kubernetes")
    assert result["passed"] > 100


def test_checkov_dockerfile(deploy_tools: Path) -> None:
    result = checkov(deploy_tools, "dockerfile", ["-f", str(ROOT / "Dockerfile")], "dockerfile")
    assert result["passed"] > 5


@pytest.mark.parametrize("stack", ["eks", "aws", "gcp"])
def test_checkov_terraform(deploy_tools: Path, stack: str) -> None:
    result = checkov(
        deploy_tools, "terraform", ["-d", str(ROOT / "terraform" / stack)], "terraform"
    )
    assert result["passed"] > 5

"""Helpers of the deployment checks: the repo layout, manifest loading, tool running."""

from __future__ import annotations

import importlib.util
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
# The same folder the tools scripts install into (./dev points it at a per-user cache).
TOOLS = Path(os.environ.get("HOTPOT_TOOLS_DIR") or ROOT / ".tools")
K8S_VERSION = "1.30.0"
CHART = ROOT / "helm" / "thehotpotspot"
ALL_ON = {"canary": {"enabled": True}, "secrets": {"externalSecret": {"enabled": True}}}
BLUE_GREEN = {"blueGreen": {"enabled": True, "activeColor": "blue"}}


def _load_renderer() -> Any:
    """scripts/render-k8s.py, the one place that renders the chart (k8s/ is its output)."""
    spec = importlib.util.spec_from_file_location("render_k8s", ROOT / "scripts" / "render-k8s.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RENDERER = _load_renderer()


def render(values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The chart rendered as release `thehotpotspot` (CI's) with these values."""
    return [doc for docs in RENDERER.render_chart(values).values() for doc in docs]


def load_all(path: Path) -> list[dict[str, Any]]:
    with path.open() as fh:
        return [doc for doc in yaml.safe_load_all(fh) if doc]


def k8s_files() -> list[Path]:
    return sorted((ROOT / "k8s").rglob("*.yaml"))


def k8s_docs() -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in k8s_files():
        for doc in load_all(path):
            yield path, doc


def pod_spec(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The pod spec inside a workload object, or None for other kinds."""
    kind = doc.get("kind")
    if kind in {"Deployment", "StatefulSet", "Job", "DaemonSet"}:
        return doc["spec"]["template"]["spec"]
    if kind == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return None


def run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Runs a tool; on failure the assertion message carries its output."""
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)
    assert proc.returncode == 0, (
        f"{' '.join(cmd)} -> {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    )
    return proc

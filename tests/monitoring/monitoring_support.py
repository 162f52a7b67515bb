"""Paths and helpers shared by the monitoring tests (a plain module, imported by name)."""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MONITORING = REPO / "monitoring"
PROMETHEUS_DIR = MONITORING / "prometheus"
TOOLS_SCRIPT = REPO / "tools" / "monitoring-tools.sh"


def run_tool(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a CLI tool, returning its result; the caller asserts on the exit code."""
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


# --- metric names -----------------------------------------------------------------------
# Sample names a metric family of each type puts on /metrics (prometheus-client strips
# `_total` from a counter's family name and adds it back to the sample).
_SUFFIXES_BY_TYPE = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
    "info": ("_info",),
}


def service_metric_names() -> set[str]:
    """Every sample name the service exports, read from the catalogue's collectors."""
    from prometheus_client.metrics import MetricWrapperBase

    import hotpot.telemetry.metrics as catalogue

    names: set[str] = set()
    for collector in vars(catalogue).values():
        if not isinstance(collector, MetricWrapperBase):
            continue
        for family in collector.describe():
            names.update(family.name + s for s in _SUFFIXES_BY_TYPE[family.type])
    return names


def exporter_metric_names() -> set[str]:
    """The documented list of exporter metrics dashboards and rules may use."""
    import yaml

    listed = yaml.safe_load((MONITORING / "exporter-metrics.yml").read_text())
    return {name for names in listed.values() for name in names}


def selector_names(expr: str) -> set[str]:
    """Metric names selected by a PromQL expression (parsed by a real PromQL parser)."""
    import promql_parser

    names: set[str] = set()

    def visit(node: object) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            names.add(node.name or "")

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names


# Grafana's own variables, replaced by a representative value before PromQL parsing.
GRAFANA_VARIABLES = {
    "$__rate_interval": "1m",
    "$__interval": "15s",
    "$__range": "1h",
}


def grafana_expr_to_promql(expr: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    assert "$" not in expr, f"unknown Grafana variable in {expr!r}"
    return expr

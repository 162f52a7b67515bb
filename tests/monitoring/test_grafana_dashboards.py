"""Grafana provisioning and dashboards: every panel query parses and names real metrics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.monitoring.monitoring_support import (
    MONITORING,
    exporter_metric_names,
    grafana_expr_to_promql,
    run_tool,
    selector_names,
    service_metric_names,
)

GRAFANA = MONITORING / "grafana"
DASHBOARD_FILES = sorted((GRAFANA / "dashboards").glob("*.json"))


def _dashboards() -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in DASHBOARD_FILES]


def _targets() -> list[tuple[str, str]]:
    """(where, expr) for every query of every panel of every dashboard."""
    return [
        (f"{d['uid']}/panel {p['id']} {p['title']!r}/{t['refId']}", t["expr"])
        for d in _dashboards()
        for p in d["panels"]
        for t in p.get("targets", [])
    ]


def _provisioned_datasource_uid() -> str:
    provisioning = GRAFANA / "provisioning" / "datasources" / "prometheus.yml"
    (source,) = yaml.safe_load(provisioning.read_text())["datasources"]
    assert source["type"] == "prometheus"
    return str(source["uid"])


def test_dashboards_exist_with_unique_uids() -> None:
    uids = [d["uid"] for d in _dashboards()]
    assert {"hotpot-api", "hotpot-business", "hotpot-settlement"} <= set(uids)
    assert len(uids) == len(set(uids))


def test_the_guides_three_panels_are_on_the_api_dashboard() -> None:
    (api,) = [d for d in _dashboards() if d["uid"] == "hotpot-api"]
    exprs = " ".join(t["expr"] for p in api["panels"] for t in p["targets"])
    assert "rate(http_requests_total{" in exprs
    assert (
        "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{" in exprs
    )
    assert 'status=~"5.."' in exprs


def test_business_and_settlement_panels_cover_the_catalogue() -> None:
    used = {n for _, expr in _targets() for n in selector_names(grafana_expr_to_promql(expr))}
    expected = {
        "hotpot_order_transitions_total",
        "hotpot_sales_total",
        "hotpot_sales_amount_tetri_total",
        "hotpot_tokens_minted_units_total",
        "hotpot_receipts_total",
        "hotpot_outbox_backlog",
        "hotpot_outbox_oldest_age_seconds",
        "hotpot_settlement_lag_seconds",
        "hotpot_reconciliation_drift_units",
        "hotpot_dependency_up",
        "hotpot_replica_lag_seconds",
    }
    assert expected <= used


def test_every_panel_uses_the_provisioned_datasource() -> None:
    uid = _provisioned_datasource_uid()
    for dashboard in _dashboards():
        for panel in dashboard["panels"]:
            assert panel["datasource"]["uid"] == uid, panel["title"]
            assert panel["targets"], f"panel {panel['title']!r} has no query"


def test_every_panel_query_parses_with_promtool(
    tmp_path: Path, monitoring_tools: dict[str, str]
) -> None:
    # promtool has no "check this expression" command: each query becomes a recording rule.
    rules = [
        {"record": f"dashboard:query_{i}", "expr": grafana_expr_to_promql(expr)}
        for i, (_, expr) in enumerate(_targets())
    ]
    rule_file = tmp_path / "dashboard-queries.yml"
    rule_file.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    result = run_tool(monitoring_tools["promtool"], "check", "rules", rule_file)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(rules)} rules found" in result.stdout


@pytest.mark.parametrize(("where", "expr"), _targets(), ids=[w for w, _ in _targets()])
def test_panel_query_names_only_exported_metrics(where: str, expr: str) -> None:
    known = service_metric_names() | exporter_metric_names()
    names = selector_names(grafana_expr_to_promql(expr))
    assert names, f"{where}: selects no metric"
    assert names <= known, f"{where}: unknown metrics {sorted(names - known)}"


def test_alert_rules_name_only_exported_metrics() -> None:
    known = service_metric_names() | exporter_metric_names()
    for path in sorted((MONITORING / "prometheus" / "rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                unknown = selector_names(rule["expr"]) - known
                assert not unknown, f"{rule['alert']}: unknown metrics {sorted(unknown)}"


def test_the_name_check_rejects_a_misspelt_metric() -> None:
    known = service_metric_names() | exporter_metric_names()
    assert "http_requests_total" in known
    assert "http_request_duration_seconds_bucket" in known
    assert selector_names("rate(http_request_total[5m])") - known == {"http_request_total"}
    with pytest.raises(ValueError):
        selector_names("rate(http_requests_total[5m]")


def test_every_listed_exporter_metric_is_used() -> None:
    # keeps the documented list honest: no names kept "just in case"
    used = {n for _, expr in _targets() for n in selector_names(grafana_expr_to_promql(expr))}
    for path in sorted((MONITORING / "prometheus" / "rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            used |= {n for rule in group["rules"] for n in selector_names(rule["expr"])}
    assert exporter_metric_names() - used == set()

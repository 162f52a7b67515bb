"""Prometheus config and alert rules: promtool's own checks and unit tests, in the suite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.monitoring.monitoring_support import MONITORING, PROMETHEUS_DIR, run_tool

RULE_FILES = sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))
TEST_FILES = sorted((PROMETHEUS_DIR / "tests").glob("*.yml"))


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def _alert_names() -> set[str]:
    return {
        rule["alert"]
        for path in RULE_FILES
        for group in _load(path)["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }


def _alert_cases() -> list[dict[str, Any]]:
    return [
        case
        for path in TEST_FILES
        for test in _load(path)["tests"]
        for case in test.get("alert_rule_test", [])
    ]


def test_prometheus_config_is_valid(monitoring_tools: dict[str, str]) -> None:
    result = run_tool(
        monitoring_tools["promtool"], "check", "config", "prometheus.yml", cwd=PROMETHEUS_DIR
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # the config must actually load the rule files, not just parse
    assert f"{len(RULE_FILES)} rule files found" in result.stdout


def test_rule_files_are_valid(monitoring_tools: dict[str, str]) -> None:
    assert RULE_FILES, "no rule files"
    result = run_tool(monitoring_tools["promtool"], "check", "rules", *RULE_FILES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_rule_unit_tests_pass(monitoring_tools: dict[str, str]) -> None:
    assert TEST_FILES, "no rule unit tests"
    result = run_tool(monitoring_tools["promtool"], "test", "rules", *TEST_FILES)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(TEST_FILES)


def test_every_rule_file_is_unit_tested() -> None:
    tested = {
        (PROMETHEUS_DIR / "tests" / f).resolve()
        for path in TEST_FILES
        for f in _load(path)["rule_files"]
    }
    assert {p.resolve() for p in RULE_FILES} <= tested


def test_every_alert_has_a_firing_and_a_quiet_case() -> None:
    cases = _alert_cases()
    fires = {c["alertname"] for c in cases if c.get("exp_alerts")}
    quiet = {c["alertname"] for c in cases if not c.get("exp_alerts")}
    alerts = _alert_names()
    assert alerts - fires == set(), "alerts never shown to fire"
    assert alerts - quiet == set(), "alerts never shown to stay quiet"
    assert (fires | quiet) - alerts == set(), "tests name alerts that do not exist"


def test_the_guides_three_alerts_and_the_platforms_are_defined() -> None:
    required = {
        "HighErrorRate",
        "HighResponseTime",
        "DatabaseConnectionFailed",
        "OutboxBacklogOld",
        "ReconciliationDrift",
        "ReplicaLagHigh",
        "ApiInstanceDown",
        "OwnerShareAboveCap",
        "FranchiseeShareAboveCap",
    }
    assert required <= _alert_names()


def test_every_alert_has_severity_and_a_runbook_that_exists() -> None:
    doc = (MONITORING.parent / "docs" / "observability.md").read_text().lower()
    for path in RULE_FILES:
        for group in _load(path)["groups"]:
            for rule in group["rules"]:
                assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
                anchor = rule["annotations"]["runbook"].split("#", 1)[1]
                assert f'<a id="{anchor}"></a>' in doc, f"{rule['alert']}: no runbook {anchor}"


def test_alertmanager_config_is_valid(monitoring_tools: dict[str, str]) -> None:
    result = run_tool(
        monitoring_tools["amtool"], "check-config", MONITORING / "alertmanager" / "alertmanager.yml"
    )
    assert result.returncode == 0, result.stdout + result.stderr

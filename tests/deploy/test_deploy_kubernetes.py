"""The plain manifests of k8s/ (the chart rendered): schema-valid, hardened, and saying what
the guide means."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
from deploy_support import K8S_VERSION, ROOT, k8s_docs, k8s_files, load_all, pod_spec

# Custom resources: kubernetes-validate ships schemas of the built-in kinds only. Their
# fields are checked by the targeted assertions below; docs/devops.md says so.
CRD_KINDS = {
    ("argoproj.io/v1alpha1", "Rollout"),
    ("postgresql.cnpg.io/v1", "Cluster"),
    ("autoscaling.k8s.io/v1", "VerticalPodAutoscaler"),
    ("external-secrets.io/v1beta1", "ExternalSecret"),
}


# k8s/ is the chart rendered as release `thehotpotspot` (scripts/render-k8s.py).
API = "thehotpotspot-api"
PG_CLUSTER = "thehotpotspot-pg"
CHAIN_LABELS = (
    ("app.kubernetes.io/component", "chain"),
    ("app.kubernetes.io/instance", "thehotpotspot"),
    ("app.kubernetes.io/name", "thehotpotspot"),
)


def by_kind_name(kind: str, name: str) -> dict[str, Any]:
    for _, doc in k8s_docs():
        if doc["kind"] == kind and doc["metadata"]["name"] == name:
            return doc
    raise AssertionError(f"no {kind}/{name} in k8s/")


@pytest.mark.parametrize("path", k8s_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_manifest_is_schema_valid_strict(path: Path) -> None:
    for doc in load_all(path):
        if (doc["apiVersion"], doc["kind"]) in CRD_KINDS:
            with pytest.raises(kubernetes_validate.SchemaNotFoundError):
                kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
            continue
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_strict_validation_rejects_an_unknown_field() -> None:
    """The validator really is strict: a typo in a Deployment is an error."""
    doc = by_kind_name("Deployment", API)
    broken = {**doc, "spec": {**doc["spec"], "replica": 3}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


def test_every_image_is_pinned_and_every_pod_hardened() -> None:
    for path, doc in k8s_docs():
        spec = pod_spec(doc)
        if spec is None:
            continue
        where = f"{path.name}:{doc['kind']}/{doc['metadata']['name']}"
        assert spec["securityContext"]["runAsNonRoot"] is True, where
        assert spec["automountServiceAccountToken"] is False, where
        for c in spec["containers"]:
            image = c["image"]
            tag = image.rsplit(":", 1)[-1]
            assert ":" in image and tag not in {"latest", ""}, f"{where}: {image}"
            assert c["securityContext"]["readOnlyRootFilesystem"] is True, where
            assert c["securityContext"]["capabilities"]["drop"] == ["ALL"], where
            assert "limits" in c["resources"] and "requests" in c["resources"], where


def test_api_probes_use_health_and_ready() -> None:
    container = by_kind_name("Deployment", API)["spec"]["template"]["spec"]["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["args"] == ["serve"]


def test_api_egress_reaches_only_postgres_redis_chain_ipfs_and_dns() -> None:
    policy = by_kind_name("NetworkPolicy", API)
    assert set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    targets = set()
    for rule in policy["spec"]["egress"]:
        ports = {(p["protocol"], p["port"]) for p in rule["ports"]}
        for peer in rule["to"]:
            assert "ipBlock" not in peer, "the API must not reach arbitrary addresses"
            labels = tuple(sorted(peer["podSelector"]["matchLabels"].items()))
            targets.add((labels, frozenset(ports)))
    assert targets == {
        ((("cnpg.io/cluster", PG_CLUSTER),), frozenset({("TCP", 5432)})),
        ((("app", "redis"),), frozenset({("TCP", 6379)})),
        (CHAIN_LABELS, frozenset({("TCP", 8545)})),
        ((("app", "ipfs"),), frozenset({("TCP", 5001)})),
        ((("k8s-app", "kube-dns"),), frozenset({("UDP", 53), ("TCP", 53)})),
    }


def test_secret_templates_carry_no_values() -> None:
    for _, doc in k8s_docs():
        if doc["kind"] == "Secret":
            assert "data" not in doc, "no base64 values in the repository"
            assert all(v == "" for v in doc["stringData"].values()), doc["metadata"]["name"]


def test_relay_is_a_single_replica_worker_and_migrations_run_migrate() -> None:
    relay = by_kind_name("Deployment", "thehotpotspot-relay")
    assert relay["spec"]["replicas"] == 1
    assert relay["spec"]["strategy"]["type"] == "Recreate"
    assert relay["spec"]["template"]["spec"]["containers"][0]["args"] == ["worker"]
    job = by_kind_name("Job", "thehotpotspot-migrate-1")
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]


def test_custom_resources_say_what_the_guide_asks() -> None:
    rollout = by_kind_name("Rollout", API)
    canary = rollout["spec"]["strategy"]["canary"]
    assert [s["setWeight"] for s in canary["steps"] if "setWeight" in s] == [20, 40, 60, 80]
    assert rollout["spec"]["workloadRef"]["name"] == API
    by_kind_name("Service", canary["canaryService"])
    by_kind_name("Service", canary["stableService"])
    by_kind_name("Ingress", canary["trafficRouting"]["nginx"]["stableIngress"])

    cluster = by_kind_name("Cluster", PG_CLUSTER)
    assert cluster["spec"]["instances"] == 3
    assert "secret" not in cluster["spec"]["bootstrap"]["initdb"], "operator generates creds"

    vpa = by_kind_name("VerticalPodAutoscaler", API)
    assert vpa["spec"]["targetRef"]["name"] == API
    assert vpa["spec"]["updatePolicy"]["updateMode"] == "Off", "must not fight the HPA"
    hpa = by_kind_name("HorizontalPodAutoscaler", API)
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (3, 10)


def test_backup_cronjob_runs_nightly_with_thirty_day_retention() -> None:
    cron = by_kind_name("CronJob", "thehotpotspot-backup")
    assert cron["spec"]["schedule"] == "0 2 * * *"
    env = {
        e["name"]: e.get("value")
        for e in cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["RETENTION_DAYS"] == "30"
    assert env["BACKUP_BUCKET"]

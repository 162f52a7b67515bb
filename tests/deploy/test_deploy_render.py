"""k8s/ is the Helm chart rendered (scripts/render-k8s.py), object by object and field by
field; the only other files are the hand-kept ones outside the chart."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

from deploy_support import RENDERER, ROOT, load_all, pod_spec

K8S = ROOT / "k8s"
Objects = dict[tuple[str, str], dict[str, Any]]


def by_identity(docs: list[dict[str, Any]]) -> Objects:
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}


def field_diffs(want: Any, got: Any, path: str = "") -> list[str]:
    """The dotted paths where two objects differ, with both values."""
    if isinstance(want, dict) and isinstance(got, dict):
        out: list[str] = []
        for key in sorted(want.keys() | got.keys(), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in got:
                out.append(f"{where}: missing (chart: {want[key]!r})")
            elif key not in want:
                out.append(f"{where}: not in the chart (k8s/: {got[key]!r})")
            else:
                out += field_diffs(want[key], got[key], where)
        return out
    if isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        return [
            d
            for i, (w, g) in enumerate(zip(want, got, strict=True))
            for d in field_diffs(w, g, f"{path}[{i}]")
        ]
    return [] if want == got else [f"{path}: chart {want!r} != k8s/ {got!r}"]


def object_diffs(file: str, rendered: Objects, committed: Objects) -> list[str]:
    out = [f"{file}: {k}/{n} rendered but not committed" for k, n in rendered.keys() - committed]
    out += [f"{file}: {k}/{n} committed but not rendered" for k, n in committed.keys() - rendered]
    for key in sorted(rendered.keys() & committed.keys()):
        where = f"{file}: {key[0]}/{key[1]}"
        out += [f"{where}: {d}" for d in field_diffs(rendered[key], committed[key])]
    return out


def rendered_files() -> dict[str, Objects]:
    rendered = RENDERER.render_chart(RENDERER.k8s_values())
    return {template: by_identity(docs) for template, docs in rendered.items()}


def test_k8s_is_the_chart_rendered_object_by_object() -> None:
    rendered = rendered_files()
    committed = {
        p.relative_to(K8S).as_posix(): p
        for p in K8S.rglob("*.yaml")
        if p.relative_to(K8S).as_posix() not in RENDERER.HAND_KEPT
    }
    problems = [f"{f}: rendered, missing from k8s/" for f in rendered.keys() - committed.keys()]
    problems += [f"{f}: in k8s/ but no template renders it" for f in committed.keys() - rendered]
    for file in sorted(rendered.keys() & committed.keys()):
        problems += object_diffs(file, rendered[file], by_identity(load_all(committed[file])))
    assert problems == [], "run scripts/render-k8s.py:\n" + "\n".join(problems)
    assert len([o for objs in rendered.values() for o in objs]) >= 20


def test_a_changed_field_is_named_with_its_object() -> None:
    rendered = rendered_files()["autoscaling.yaml"]
    edited = copy.deepcopy(rendered)
    edited[("HorizontalPodAutoscaler", "thehotpotspot-api")]["spec"]["minReplicas"] = 2
    del edited[("VerticalPodAutoscaler", "thehotpotspot-api")]
    assert object_diffs("autoscaling.yaml", rendered, edited) == [
        "autoscaling.yaml: VerticalPodAutoscaler/thehotpotspot-api rendered but not committed",
        "autoscaling.yaml: HorizontalPodAutoscaler/thehotpotspot-api: spec.minReplicas:"
        " chart 3 != k8s/ 2",
    ]


def test_render_script_check_mode_agrees_and_writes_nothing() -> None:
    before = {p: p.read_text() for p in K8S.rglob("*.yaml")}
    script = ROOT / "scripts" / "render-k8s.py"
    proc = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert {p: p.read_text() for p in K8S.rglob("*.yaml")} == before


def test_every_file_names_its_template() -> None:
    for template in rendered_files():
        first = (K8S / template).read_text().splitlines()[0]
        assert (
            first
            == f"# Rendered from helm/thehotpotspot/templates/{template} by scripts/render-k8s.py"
        )


def secret_refs(doc: dict[str, Any]) -> set[tuple[str, str | None]]:
    """(Secret, key) pairs a workload reads; key None for a whole Secret."""
    spec = pod_spec(doc)
    if spec is None:
        return set()
    refs: set[tuple[str, str | None]] = set()
    for c in spec["containers"]:
        for env in c.get("env", []):
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                refs.add((ref["name"], ref["key"]))
        refs |= {(e["secretRef"]["name"], None) for e in c.get("envFrom", []) if "secretRef" in e}
    for volume in spec.get("volumes", []):
        if "secret" in volume:
            refs.add((volume["secret"]["secretName"], None))
    return refs


def test_every_secret_the_pods_read_is_in_the_template_or_made_by_the_operator(
    tmp_path: Path,
) -> None:
    templates = {
        d["metadata"]["name"]: set(d["stringData"]) for d in load_all(K8S / "secrets.template.yaml")
    }
    cluster = next(
        d for objs in rendered_files().values() for (k, _), d in objs.items() if k == "Cluster"
    )
    # CloudNativePG generates <cluster>-app when it bootstraps the database.
    templates[f"{cluster['metadata']['name']}-app"] = {"username", "password", "uri"}
    refs = {r for objs in rendered_files().values() for d in objs.values() for r in secret_refs(d)}
    assert len(refs) >= 8
    for name, key in refs:
        assert name in templates, f"no Secret {name} in k8s/secrets.template.yaml"
        assert key is None or key in templates[name], f"Secret {name} has no key {key}"

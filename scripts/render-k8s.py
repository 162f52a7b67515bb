#!/usr/bin/env python3
"""Render the Helm chart into k8s/: the plain manifests are generated, never hand-kept.

Usage: .venv/bin/python scripts/render-k8s.py [--check]

helm/thehotpotspot is the one source of the deployment. This script renders it offline
with Helm's own engine (helm-python-sdk, requirements/deploy.txt) as release
`thehotpotspot` in namespace `thehotpotspot` -- exactly what CI's `helm upgrade
--install thehotpotspot` deploys -- with the chart's defaults plus helm/k8s-values.yaml,
and writes templates/<path>.yaml to k8s/<path>.yaml. Files of k8s/ that no template
renders any more are removed, except the hand-kept ones outside the chart (HAND_KEPT).
--check writes nothing and exits 1 naming every file that differs from the rendering.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import helm_python as helm
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "helm" / "thehotpotspot"
VALUES = ROOT / "helm" / "k8s-values.yaml"
K8S = ROOT / "k8s"
RELEASE = "thehotpotspot"
NAMESPACE = "thehotpotspot"
# Objects that are not the app's and so not the chart's: the namespace (Helm makes it with
# --create-namespace) and the empty Secret templates (no secret value in values).
HAND_KEPT = frozenset({"namespace.yaml", "secrets.template.yaml"})


def k8s_values() -> dict[str, Any]:
    loaded = yaml.safe_load(VALUES.read_text())
    return loaded if isinstance(loaded, dict) else {}


def render_chart(
    values: dict[str, Any] | None, release: str = RELEASE, namespace: str = NAMESPACE
) -> dict[str, list[dict[str, Any]]]:
    """Every template's rendered objects, keyed by its path under templates/."""
    chart = helm.Chart.load(str(CHART))
    rendered = chart.render(values, name=release, namespace=namespace, is_install=True)
    out: dict[str, list[dict[str, Any]]] = {}
    for path, text in sorted(rendered.items()):
        if not path.endswith(".yaml"):
            continue
        docs = [d for d in yaml.safe_load_all(text) if d]
        if docs:
            out[path.split("/templates/", 1)[1]] = docs
    return out


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (scripts, JSON documents) as literal blocks; lists indented."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def file_text(template: str, docs: list[dict[str, Any]]) -> str:
    header = (
        f"# Rendered from helm/thehotpotspot/templates/{template} by scripts/render-k8s.py\n"
        "# (values: the chart's defaults + helm/k8s-values.yaml). Do not edit: change the\n"
        "# chart and re-run the script; tests/deploy fails when this file differs.\n"
    )
    body = "---\n".join(yaml.dump(d, Dumper=_Dumper, sort_keys=False, width=1000) for d in docs)
    return header + body


def wanted_files() -> dict[Path, str]:
    return {K8S / t: file_text(t, docs) for t, docs in render_chart(k8s_values()).items()}


def stale_files(wanted: dict[Path, str]) -> list[Path]:
    return [
        p
        for p in sorted(K8S.rglob("*.yaml"))
        if p not in wanted and p.relative_to(K8S).as_posix() not in HAND_KEPT
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report differences")
    args = parser.parse_args(argv)
    wanted = wanted_files()
    differing = [p for p, text in wanted.items() if not p.exists() or p.read_text() != text]
    stale = stale_files(wanted)
    if args.check:
        for path in differing:
            print(f"render-k8s: {path.relative_to(ROOT)} differs from the chart", file=sys.stderr)
        for path in stale:
            print(f"render-k8s: {path.relative_to(ROOT)} is no template's", file=sys.stderr)
        return 1 if differing or stale else 0
    for path in differing:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(wanted[path])
        print(f"render-k8s: wrote {path.relative_to(ROOT)}")
    for path in stale:
        path.unlink()
        print(f"render-k8s: removed {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

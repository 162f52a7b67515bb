#!/usr/bin/env python3
"""A stand-in for kubectl (no cluster runs here) that answers from rendered objects.

It knows the few verbs scripts/blue-green-deploy.sh uses, reads and writes the objects in
the JSON file $FAKE_KUBECTL_STATE and appends each call's arguments to $FAKE_KUBECTL_LOG.
Like kubectl it fails on an object or container that does not exist; `rollout status`
fails for a Deployment whose image tag is $FAKE_KUBECTL_UNREADY_TAG.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

STATE = Path(os.environ["FAKE_KUBECTL_STATE"])
KINDS = {"service": "Service", "deployment": "Deployment"}


def fail(message: str) -> None:
    print(message, file=sys.stderr)
    sys.exit(1)


def find(objects: list[dict[str, Any]], namespace: str, kind: str, name: str) -> dict[str, Any]:
    for obj in objects:
        meta = obj["metadata"]
        if obj["kind"] == KINDS[kind] and meta["name"] == name and meta["namespace"] == namespace:
            return obj
    fail(f'Error from server (NotFound): {kind}s "{name}" not found')
    raise AssertionError


def jsonpath(obj: Any, expr: str) -> str:
    """The `{.a.b}` form only: the value, or nothing when a field is absent."""
    for key in expr.strip("{}").strip(".").split("."):
        if not isinstance(obj, dict) or key not in obj:
            return ""
        obj = obj[key]
    return str(obj)


def merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            merge(target[key], value)
        else:
            target[key] = value


def run(args: list[str], objects: list[dict[str, Any]]) -> None:
    if args[:1] != ["--namespace"]:
        fail("fake kubectl: the script must name the namespace first")
    namespace, verb, rest = args[1], args[2], args[3:]
    if verb == "get":
        kind, name, flag, expr = rest
        assert flag == "-o" and expr.startswith("jsonpath="), rest
        print(jsonpath(find(objects, namespace, kind, name), expr.removeprefix("jsonpath=")))
    elif verb == "set" and rest[0] == "image":
        kind, name = rest[1].split("/")
        container, image = rest[2].split("=", 1)
        pod = find(objects, namespace, kind, name)["spec"]["template"]["spec"]
        match = [c for c in pod["containers"] if c["name"] == container]
        if not match:
            fail(f'error: unable to find container named "{container}"')
        match[0]["image"] = image
    elif verb == "scale":
        kind, name = rest[0].split("/")
        find(objects, namespace, kind, name)["spec"]["replicas"] = int(rest[1].split("=")[1])
    elif verb == "rollout" and rest[0] == "status":
        kind, name = rest[1].split("/")
        image = find(objects, namespace, kind, name)["spec"]["template"]["spec"]["containers"][0]
        if image["image"].rsplit(":", 1)[1] == os.environ.get("FAKE_KUBECTL_UNREADY_TAG"):
            fail(f'error: deployment "{name}" exceeded its progress deadline')
        print(f'deployment "{name}" successfully rolled out')
    elif verb == "patch":
        kind, name, type_flag, merge_type, patch_flag, patch = rest
        assert (type_flag, merge_type, patch_flag) == ("--type", "merge", "-p"), rest
        merge(find(objects, namespace, kind, name), json.loads(patch))
    else:
        fail(f"fake kubectl: unknown command {args}")


def main() -> None:
    with open(os.environ["FAKE_KUBECTL_LOG"], "a") as log:
        log.write(json.dumps(sys.argv[1:]) + "\n")
    objects = json.loads(STATE.read_text())
    run(sys.argv[1:], objects)
    STATE.write_text(json.dumps(objects))


if __name__ == "__main__":
    main()

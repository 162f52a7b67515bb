"""`hotpot serve` with nothing configured, as a new user runs it; and production refusals."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hotpot.adapters.embedded import free_port

HOTPOT = str(Path(sys.executable).parent / "hotpot")
_CONFIG_VARS = (
    "DATABASE_URL",
    "REDIS_URL",
    "DATABASE_REPLICA_URL",
    "JWT_SECRET",
    "ENCRYPTION_KEY",
    "RECEIPT_CODE_SECRET",
)


def _bare_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _CONFIG_VARS and (not k.startswith("HOTPOT_") or k == "HOTPOT_TOOLS_DIR")
    }
    env.update(extra)
    return env


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"hotpot serve exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("hotpot serve did not become ready")


@pytest.fixture
def data_dir() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="hotpot-e2e-"))
    folder.chmod(0o755)  # as root, PostgreSQL runs as an unprivileged account that walks in
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _start(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [HOTPOT, "serve"],
        env=_bare_env(HOTPOT_DATA_DIR=str(data_dir), PORT=str(port)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop(process: subprocess.Popen[bytes], sig: int = signal.SIGINT) -> int:
    process.send_signal(sig)
    return process.wait(60)


def _login(url: str, login: str, password: str) -> dict[str, str]:
    body = {"login": login, "password": password}
    token = httpx.post(f"{url}/api/v1/auth/login", json=body).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _complete_an_order(url: str, creds: dict[str, Any]) -> str:
    email, password = "e2e@hotpot-tests.org", "a-long-password"
    registered = httpx.post(
        f"{url}/api/v1/auth/register", json={"email": email, "password": password}
    )
    assert registered.status_code == 201
    customer = _login(url, email, password)
    chef = _login(url, creds["chef"]["login"], creds["chef"]["password"])
    line = {"item_id": creds["dishes"][0], "quantity": 1}
    order = httpx.post(
        f"{url}/api/v1/orders",
        json={"node_id": creds["nodes"]["OWNER"], "lines": [line]},
        headers=customer,
    ).json()
    for status in ("CONFIRMED", "IN_PROGRESS", "READY", "COMPLETED"):
        moved = httpx.post(
            f"{url}/api/v1/orders/{order['id']}/transitions", json={"status": status}, headers=chef
        )
        assert moved.status_code == 200, moved.text
    return str(order["id"])


def _wait_settled(url: str, order_id: str, timeout: float = 60) -> dict[str, Any]:
    """The in-process relay settles the order on the embedded chain."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = httpx.get(f"{url}/api/v1/settlement/proofs/order/{order_id}/verify", timeout=10)
        if response.status_code == 200 and response.json()["valid"]:
            return dict(response.json())
        time.sleep(0.5)
    raise AssertionError(f"order {order_id} was not settled within {timeout} s")


def _postgres_running(data_dir: Path) -> bool:
    return (data_dir / "postgres" / "pgdata" / "postmaster.pid").exists()


def test_serve_on_embedded_defaults_seeds_once_and_keeps_data(data_dir: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    first = _start(data_dir, port)
    try:
        _wait_ready(url, first)
        creds = json.loads((data_dir / "demo-credentials.json").read_text())
        assert oct((data_dir / "demo-credentials.json").stat().st_mode & 0o777) == "0o600"
        menu = httpx.get(f"{url}/api/v1/menu", params={"node_id": creds["nodes"]["OWNER"]}).json()
        assert len(menu["items"]) >= 8
        assert all(entry["ingredients"] and entry["total_kcal"] > 0 for entry in menu["items"])
        nodes = httpx.get(f"{url}/api/v1/nodes").json()["items"]
        assert sorted(node["type"] for node in nodes) == ["FRANCHISE", "OWNER"]
        token = httpx.post(f"{url}/api/v1/auth/login", json=creds["owner"]).json()["access_token"]
        created = httpx.post(
            f"{url}/api/v1/menu/items",
            json={"name": "Kept across restarts", "price_tetri": 1000},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert created.status_code == 201
        order_id = _complete_an_order(url, creds)
        proof = _wait_settled(url, order_id)
        assert proof["valid"] is True
        # A command run beside a live `serve` shares its database and chain, never
        # stops them, and verifies the same proof from the command line.
        verified = subprocess.run(
            [HOTPOT, "verify", "order", order_id],
            env=_bare_env(HOTPOT_DATA_DIR=str(data_dir)),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert httpx.get(f"{url}/ready").status_code == 200
        assert httpx.get(f"{url}/api/v1/settlement/proofs/order/{order_id}/verify").json()["valid"]
    finally:
        assert _stop(first, signal.SIGINT) == 0
    assert not _postgres_running(data_dir), "Ctrl-C must stop the embedded PostgreSQL"

    second = _start(data_dir, port)
    try:
        _wait_ready(url, second)
        names = {item["name"] for item in httpx.get(f"{url}/api/v1/menu").json()["items"]}
        assert "Kept across restarts" in names
        # The embedded chain keeps its state across a clean stop; were anything lost, the
        # reconciler would find the gap and the relay settle it again. Either way the
        # order's proof must verify against the chain after the restart.
        again = _wait_settled(url, order_id)
        assert again["valid"] is True and again["checks"]["root_on_chain"] is True
        assert len(httpx.get(f"{url}/api/v1/nodes").json()["items"]) == 2  # not seeded twice
    finally:
        _stop(second, signal.SIGTERM)
    assert not _postgres_running(data_dir)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "JWT_SECRET"),
        ({"JWT_SECRET": "dev-only-jwt-secret-do-not-use-in-production"}, "JWT_SECRET"),
        ({"JWT_SECRET": "x" * 40}, "ENCRYPTION_KEY"),
        (
            {
                "JWT_SECRET": "x" * 40,
                "ENCRYPTION_KEY": "ZGV2LW9ubHktZW5jcnlwdGlvbi1rZXktMzJieXRlcyE=",
            },
            "ENCRYPTION_KEY",
        ),
        (
            {
                "JWT_SECRET": "x" * 40,
                "ENCRYPTION_KEY": "cmVhbC1sb29raW5nLWVuY3J5cHRpb24ta2V5LTMyYiE=",
                "RECEIPT_CODE_SECRET": "dev-only-receipt-code-secret-do-not-use-in-production",
            },
            "RECEIPT_CODE_SECRET",
        ),
    ],
)
def test_production_refuses_development_or_missing_secrets(
    env: dict[str, str], variable: str
) -> None:
    result = subprocess.run(
        [HOTPOT, "serve"],
        env=_bare_env(HOTPOT_ENV="production", DATABASE_URL="postgresql://x@127.0.0.1:9/x", **env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert variable in result.stderr

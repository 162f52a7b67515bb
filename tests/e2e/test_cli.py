"""The `hotpot` commands other than serve, run as a user runs them."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable

from tests.e2e.test_serve_embedded import HOTPOT, _bare_env


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HOTPOT, *args],
        env=_bare_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_migrate_downgrade_and_receipt_expiry(fresh_database: Callable[[], str]) -> None:
    url = fresh_database()
    migrated = _run("migrate", DATABASE_URL=url)
    assert migrated.returncode == 0, migrated.stderr
    assert "database migrated to head" in migrated.stdout
    expired = _run("receipts", "expire", DATABASE_URL=url)
    assert expired.returncode == 0, expired.stderr
    assert json.loads(expired.stdout.strip().splitlines()[-1])["expired"] == 0
    down = _run("downgrade", "base", DATABASE_URL=url)
    assert down.returncode == 0 and "downgraded to base" in down.stdout


def test_check_config_names_the_bad_variable() -> None:
    good = _run("check-config")
    assert good.returncode == 0 and "configuration ok" in good.stdout
    bad = _run("check-config", LOG_LEVEL="CHATTY")
    assert bad.returncode == 2 and "LOG_LEVEL" in bad.stderr

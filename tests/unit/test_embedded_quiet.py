"""Starting the embedded PostgreSQL says nothing about XDG_RUNTIME_DIR (issue 10, item 20).

A subprocess, so the check sees the import as a fresh `./dev serve` does (this process has
imported most things already) and every warning is shown (`-W always`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SCRIPT = """
import sys
from pathlib import Path
from hotpot.adapters.embedded import EmbeddedPostgres

server = EmbeddedPostgres(Path(sys.argv[1]))
url = server.start()
try:
    print(url)
finally:
    server.stop()
"""


def test_starting_embedded_postgres_emits_no_runtime_dir_warning() -> None:
    # Not under pytest's 0700 temp root: the server may run as an unprivileged account.
    folder = Path(tempfile.mkdtemp(prefix="hotpot-test-quiet-pg-"))
    env = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}
    try:
        done = subprocess.run(
            [sys.executable, "-W", "always", "-c", SCRIPT, str(folder)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert done.returncode == 0, done.stderr
    assert "postgresql://" in done.stdout, done.stdout
    assert "RuntimeDirWarning" not in done.stderr, done.stderr
    assert "XDG_RUNTIME_DIR" not in done.stderr, done.stderr

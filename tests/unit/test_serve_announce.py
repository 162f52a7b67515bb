"""What `serve` tells a person at a terminal, and the seed's log line (issue 10, item 20)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from hotpot.config import Settings
from hotpot.serve import announce, log_seeded
from hotpot.telemetry.logging import configure_logging


def test_one_human_line_on_a_terminal_nothing_elsewhere(tmp_path: Path) -> None:
    (tmp_path / "demo-credentials.json").write_text("{}")
    settings = Settings(port=9311, hotpot_data_dir=tmp_path)
    reader, writer = os.openpty()  # a real terminal, as `./dev serve` has
    with os.fdopen(writer, "w") as tty:
        announce(settings, tty)
    line = os.read(reader, 4096).decode()
    os.close(reader)
    assert line.count("\n") == 1
    assert "http://127.0.0.1:9311/api/v1" in line and "http://127.0.0.1:9311/docs" in line
    assert str(tmp_path / "demo-credentials.json") in line
    piped = io.StringIO()
    announce(settings, piped)
    assert piped.getvalue() == ""


def test_the_seed_log_names_the_demo_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO")
    log_seeded(Settings(hotpot_data_dir=tmp_path))
    out = capsys.readouterr().out
    (line,) = [raw for raw in out.splitlines() if "demo network seeded" in raw]
    assert str(tmp_path / "demo-credentials.json") in line, line
    assert "[redacted]" not in line, line

"""The `hotpot` command (console script `hotpot = "hotpot.cli:main"`)."""

from __future__ import annotations

from hotpot.cli.main import app, main

__all__ = ["app", "main"]

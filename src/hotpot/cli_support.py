"""What every `hotpot` command needs before it starts: validated settings, or a clear exit."""

from __future__ import annotations

import typer

from hotpot.config import ConfigError, Settings, load_settings


def settings_or_exit() -> Settings:
    """The environment's settings; on a bad value, the message names it and we exit 2."""
    try:
        return load_settings()
    except ConfigError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(2) from exc

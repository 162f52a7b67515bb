"""The `hotpot` command: serving, migrations and the configuration check; the settlement,
chain and receipts commands are in their own modules of this package."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from hotpot.cli import chain, receipts, settlement
from hotpot.cli.support import settings_or_exit
from hotpot.config import ConfigError

app = typer.Typer(help="The Hot Pot Spot platform.", no_args_is_help=True)


@app.command()
def serve(
    port: Annotated[int | None, typer.Option(help="listen port (default $PORT or 8080)")] = None,
    host: Annotated[str | None, typer.Option(help="listen address (default $HOST)")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="worker processes")] = 1,
) -> None:
    """Run the API. With no DATABASE_URL/REDIS_URL it starts embedded servers in the data dir."""
    from hotpot.adapters.embedded import EmbeddedServerError
    from hotpot.serve import serve as run

    settings = settings_or_exit()
    updates: dict[str, object] = {}
    if port is not None:
        updates["port"] = port
    if host is not None:
        updates["host"] = host
    try:
        run(settings.model_copy(update=updates), workers=workers)
    except EmbeddedServerError as exc:
        typer.echo(f"cannot start an embedded server: {exc}", err=True)
        raise typer.Exit(1) from exc


@app.command()
def migrate(
    revision: Annotated[str, typer.Option(help="target revision")] = "head",
) -> None:
    """Apply database migrations (DATABASE_URL, or the embedded server when unset)."""
    from hotpot.adapters.database import migrate as upgrade
    from hotpot.adapters.embedded_services import embedded_services
    from hotpot.telemetry.logging import configure_logging

    settings = settings_or_exit()
    configure_logging(settings.log_level)
    with embedded_services(settings, with_redis=False) as running:
        assert running.database_url is not None
        upgrade(running.database_url, revision)
    typer.echo(f"database migrated to {revision}")


@app.command()
def downgrade(revision: Annotated[str, typer.Argument(help="target revision, e.g. base")]) -> None:
    """Roll database migrations back to REVISION."""
    from hotpot.adapters.database import downgrade as down
    from hotpot.adapters.embedded_services import embedded_services
    from hotpot.telemetry.logging import configure_logging

    settings = settings_or_exit()
    configure_logging(settings.log_level)
    with embedded_services(settings, with_redis=False) as running:
        assert running.database_url is not None
        down(running.database_url, revision)
    typer.echo(f"database downgraded to {revision}")


@app.command("check-config")
def check_config() -> None:
    """Validate the environment as `serve` would, and say what would be used."""
    settings = settings_or_exit()
    typer.echo(f"environment: {settings.hotpot_env}")
    typer.echo(f"database: {'configured' if settings.database_url else 'embedded'}")
    typer.echo(f"replica: {'configured' if settings.database_replica_url else 'none'}")
    typer.echo(f"redis: {'configured' if settings.redis_url else 'embedded or none'}")
    typer.echo("configuration ok")


app.add_typer(chain.chain_app, name="chain")
app.command()(settlement.worker)
app.command()(settlement.reconcile)
app.command()(settlement.verify)
app.add_typer(receipts.receipts_app, name="receipts")


def main() -> None:
    try:
        app()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        sys.exit(2)

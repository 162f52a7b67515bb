"""`hotpot receipts ...`: walk-in receipts."""

from __future__ import annotations

import typer

from hotpot.cli.support import run_with_context, settings_or_exit

receipts_app = typer.Typer(help="Walk-in receipts.", no_args_is_help=True)


@receipts_app.command("expire")
def expire_receipts() -> None:
    """Expire every live receipt past its deadline; their custody shares join the pool."""
    from hotpot.adapters.embedded_services import embedded_services
    from hotpot.context import AppContext
    from hotpot.sales.expiry import expire_receipts as expire
    from hotpot.sales.schemas import ExpiryOut
    from hotpot.telemetry.logging import configure_logging

    settings = settings_or_exit()
    configure_logging(settings.log_level)

    async def run(ctx: AppContext) -> str:
        return ExpiryOut.model_validate(await expire(ctx)).model_dump_json()

    with embedded_services(settings, with_redis=False) as running:
        typer.echo(run_with_context(running, run))

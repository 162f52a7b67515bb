"""`hotpot chain ...`: deploying the contracts."""

from __future__ import annotations

import typer

from hotpot.cli.support import chain_services, run_with_context, settings_or_exit

chain_app = typer.Typer(help="The token contracts on the configured chain.", no_args_is_help=True)


@chain_app.command()
def deploy() -> None:
    """Deploy THP, SPOT, the registry and the anchor (once); print their addresses."""
    from hotpot.context import AppContext
    from hotpot.settlement.deployments import Deployment, ensure_deployed, vyper_cache

    settings = settings_or_exit()
    with chain_services(settings) as running:

        async def run(ctx: AppContext) -> Deployment:
            return await ensure_deployed(ctx.db, ctx.require_chain(), vyper_cache(running))

        found = run_with_context(running, run)
    typer.echo(f"{'deployed' if found.created else 'already deployed'} on chain {found.chain_id}")
    for name in ("thp", "spot", "registry", "anchor"):
        typer.echo(f"{name}: {getattr(found.addresses, name)}")

"""`hotpot chain ...`: deploying the contracts."""

from __future__ import annotations

import asyncio

import typer

chain_app = typer.Typer(help="The token contracts on the configured chain.", no_args_is_help=True)


@chain_app.command()
def deploy() -> None:
    """Deploy THP, SPOT, the registry and the anchor (once); print their addresses."""
    from hotpot.chain.deploy import ensure_deployed
    from hotpot.cli_support import settings_or_exit
    from hotpot.settlement.cli import _Ctx, services
    from hotpot.settlement.relay import chain_client, vyper_cache

    settings = settings_or_exit()
    with services(settings) as running:
        ctx = _Ctx(running)

        async def main() -> None:
            try:
                found = await ensure_deployed(ctx.db, chain_client(running), vyper_cache(running))
            finally:
                await ctx.db.dispose()
            typer.echo(
                f"{'deployed' if found.created else 'already deployed'} on chain {found.chain_id}"
            )
            for name in ("thp", "spot", "registry", "anchor"):
                typer.echo(f"{name}: {getattr(found.addresses, name)}")

        asyncio.run(main())

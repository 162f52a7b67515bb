"""`hotpot worker`, `hotpot reconcile`, `hotpot verify`: the relay and its checks."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator
from typing import Annotated

import typer

from hotpot.config import Settings, load_settings


def _settings() -> Settings:
    from hotpot.config import ConfigError

    try:
        return load_settings()
    except ConfigError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(2) from exc


@contextlib.contextmanager
def services(settings: Settings) -> Iterator[Settings]:
    """Embedded PostgreSQL (no DATABASE_URL) and anvil (no CHAIN_RPC_URLS), as `serve` does."""
    from hotpot.chain.anvil import EmbeddedAnvil
    from hotpot.runtime import embedded_services

    with embedded_services(settings.model_copy(update={"redis_url": "unused"})) as running:
        if running.chain_rpc_urls:
            yield running
            return
        with EmbeddedAnvil(running.hotpot_data_dir / "chain", chain_id=running.chain_id) as node:
            yield running.model_copy(update={"chain_rpc_urls": [node.url]})


class _Ctx:
    def __init__(self, settings: Settings) -> None:
        from hotpot.adapters.database import Database

        self.settings = settings
        self.db = Database(settings.database_url or "", pool_size=4)


def worker(
    once: Annotated[bool, typer.Option(help="settle what is there, then exit")] = False,
) -> None:
    """Run the relay: drain the outbox to the chain (one leader per signer key)."""
    from hotpot.ops.logging import configure_logging
    from hotpot.settlement.relay import chain_client, ipfs_store, run_relay, settle_all

    settings = _settings()
    configure_logging(settings.log_level)
    with services(settings) as running:
        ctx = _Ctx(running)

        async def main() -> None:
            try:
                if once:
                    rows = await settle_all(
                        running, ctx.db, chain_client(running), ipfs_store(running)
                    )
                    typer.echo(f"settled {rows} outbox rows")
                    return
                stop = asyncio.Event()
                loop = asyncio.get_running_loop()
                for sig in (signal.SIGTERM, signal.SIGINT):
                    loop.add_signal_handler(sig, stop.set)
                await run_relay(ctx, stop)
            finally:
                await ctx.db.dispose()

        asyncio.run(main())


def reconcile(
    deep: Annotated[bool, typer.Option(help="check every settled batch on chain")] = False,
) -> None:
    """Compare chain balances and supplies with the ledger's settled view; print a report."""
    from hotpot.chain.contracts import Contracts
    from hotpot.chain.deploy import ensure_deployed
    from hotpot.settlement.reconciler import reconcile as run
    from hotpot.settlement.reconciler import repair_gaps
    from hotpot.settlement.relay import chain_client, vyper_cache

    settings = _settings()
    with services(settings) as running:
        ctx = _Ctx(running)

        async def main() -> bool:
            try:
                client = chain_client(running)
                deployment = await ensure_deployed(ctx.db, client, vyper_cache(running))
                contracts = Contracts(client, deployment.addresses)
                missing = await repair_gaps(ctx.db, contracts, deployment, deep=deep)
                if missing:
                    typer.echo(f"{len(missing)} settled batches missing on chain: back to pending")
                report = await run(ctx.db, contracts)
                for line in report.lines():
                    typer.echo(line)
                return report.healthy
            finally:
                await ctx.db.dispose()

        if not asyncio.run(main()):
            raise typer.Exit(1)


def verify(
    ref_kind: Annotated[str, typer.Argument(help="order or receipt")],
    ref_id: Annotated[str, typer.Argument(help="the order or receipt id")],
) -> None:
    """Check an order's or receipt's record and Merkle proof against the root on chain."""
    from hotpot.chain.contracts import Contracts
    from hotpot.chain.deploy import ensure_deployed
    from hotpot.settlement.proofs import proof_for, verify_proof
    from hotpot.settlement.relay import chain_client, ipfs_store, vyper_cache

    settings = _settings()
    with services(settings) as running:
        ctx = _Ctx(running)

        async def main() -> bool:
            try:
                proof = await proof_for(ctx.db, ref_kind, ref_id)
                if proof is None:
                    typer.echo(f"{ref_kind} {ref_id}: no settlement record (yet)", err=True)
                    return False
                client = chain_client(running)
                deployment = await ensure_deployed(ctx.db, client, vyper_cache(running))
                result = await verify_proof(
                    proof, ipfs_store(running), Contracts(client, deployment.addresses)
                )
                typer.echo(f"record {proof.record_cid} in batch {proof.batch_id}")
                typer.echo(
                    f"root {proof.merkle_root}, tx {proof.tx_hash}, block {proof.block_number}"
                )
                for name, ok in result.checks.items():
                    typer.echo(f"  {name}: {'ok' if ok else 'FAILED'}")
                typer.echo("valid" if result.valid else f"INVALID: {result.detail}")
                return result.valid
            finally:
                await ctx.db.dispose()

        if not asyncio.run(main()):
            raise typer.Exit(1)

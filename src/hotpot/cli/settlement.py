"""`hotpot worker`, `hotpot reconcile`, `hotpot verify`: the relay and its checks."""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated
from uuid import UUID

import typer

from hotpot.cli.support import chain_services, run_with_context, settings_or_exit
from hotpot.config import ConfigError
from hotpot.context import AppContext


def worker(
    once: Annotated[bool, typer.Option(help="settle what is there, then exit")] = False,
    metrics_port: Annotated[
        int | None,
        typer.Option(help="port of the relay's /metrics (default WORKER_METRICS_PORT; 0: none)"),
    ] = None,
) -> None:
    """Run the relay: drain the outbox to the chain (one leader per signer key)."""
    from hotpot.settlement.relay import drain, run_relay
    from hotpot.telemetry.exposition import MetricsPortTaken, start_listener
    from hotpot.telemetry.logging import configure_logging

    settings = settings_or_exit()
    configure_logging(settings.log_level)
    try:
        settings.effective_relay_private_key  # noqa: B018  (the relay signs: refuse early)
    except ConfigError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(2) from exc
    with chain_services(settings) as running:

        async def main(ctx: AppContext) -> None:
            if once:
                done = await drain(running, ctx.db, ctx.require_chain(), ctx.store)
                typer.echo(f"settled {done.settled_rows} outbox rows")
                typer.echo(f"anchored {done.anchored} proposal tallies")
                return
            port = running.worker_metrics_port if metrics_port is None else metrics_port
            if port:
                # The relay's gauges (drift, lag, backlog, chain/IPFS up) for Prometheus.
                try:
                    start_listener(
                        running.host,
                        port,
                        who="hotpot worker",
                        remedy="--metrics-port or WORKER_METRICS_PORT",
                    )
                except MetricsPortTaken as exc:
                    typer.echo(str(exc), err=True)
                    raise typer.Exit(2) from exc
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            await run_relay(ctx, stop)

        run_with_context(running, main)


def reconcile(
    deep: Annotated[bool, typer.Option(help="check every settled batch on chain")] = False,
) -> None:
    """Compare chain balances and supplies with the ledger's settled view; print a report."""
    from hotpot.chain.contracts import Contracts
    from hotpot.settlement.deployments import ensure_deployed, vyper_cache
    from hotpot.settlement.reconciler import reconcile as run
    from hotpot.settlement.reconciler import repair_anchors, repair_gaps

    settings = settings_or_exit()
    with chain_services(settings) as running:

        async def main(ctx: AppContext) -> bool:
            client = ctx.require_chain()
            deployment = await ensure_deployed(ctx.db, client, vyper_cache(running))
            contracts = Contracts(client, deployment.addresses)
            missing = await repair_gaps(ctx.db, contracts, deployment, deep=deep)
            if missing:
                typer.echo(f"{len(missing)} settled batches missing on chain: back to pending")
            lost = await repair_anchors(ctx.db, contracts, deep=deep)
            if lost:
                typer.echo(f"{len(lost)} anchored tallies missing on chain: back to pending")
            report = await run(ctx.db, contracts)
            for line in report.lines():
                typer.echo(line)
            return report.healthy

        if not run_with_context(running, main):
            raise typer.Exit(1)


def verify(
    ref_kind: Annotated[str, typer.Argument(help="order, receipt or proposal")],
    ref_id: Annotated[str, typer.Argument(help="the order, receipt or proposal id")],
) -> None:
    """Check a record and its Merkle proof, or a proposal's anchored tally, against the chain."""
    from hotpot.chain.contracts import Contracts
    from hotpot.settlement.deployments import ensure_deployed, vyper_cache
    from hotpot.settlement.proofs import proof_for, verify_anchor, verify_proof

    if ref_kind not in ("order", "receipt", "proposal"):
        typer.echo(f"unknown kind {ref_kind!r}: order, receipt or proposal", err=True)
        raise typer.Exit(2)
    proposal_id: UUID | None = None
    if ref_kind == "proposal":
        try:
            proposal_id = UUID(ref_id)
        except ValueError:
            typer.echo(f"not a proposal id: {ref_id!r}", err=True)
            raise typer.Exit(2) from None
    settings = settings_or_exit()
    with chain_services(settings) as running:

        async def contracts(ctx: AppContext) -> Contracts:
            client = ctx.require_chain()
            deployment = await ensure_deployed(ctx.db, client, vyper_cache(running))
            return Contracts(client, deployment.addresses)

        async def check_proposal(ctx: AppContext, proposal: UUID) -> bool:
            found = await verify_anchor(ctx.db, await contracts(ctx), proposal)
            if found is None:
                typer.echo(f"proposal {proposal}: not finalized (or unknown)", err=True)
                return False
            row, chain = found.anchor, found.on_chain
            typer.echo(
                f"proposal {proposal}: for {row.for_units}, against {row.against_units}, "
                f"abstain {row.abstain_units}, passed {row.passed}, {row.vote_count} votes"
            )
            typer.echo(f"votes root {row.votes_root}")
            if chain.anchored:
                typer.echo(f"anchored in block {chain.block_number}, tx {found.tx_hash}")
            typer.echo(f"recorded as anchored: {'yes' if row.anchored_at else 'not yet'}")
            for name, ok in found.checks.items():
                typer.echo(f"  {name}: {'ok' if ok else 'FAILED'}")
            typer.echo("valid" if found.valid else f"INVALID: {found.detail}")
            return found.valid

        async def check_record(ctx: AppContext) -> bool:
            proof = await proof_for(ctx.db, ref_kind, ref_id)
            if proof is None:
                typer.echo(f"{ref_kind} {ref_id}: no settlement record (yet)", err=True)
                return False
            result = await verify_proof(proof, ctx.store, await contracts(ctx))
            typer.echo(f"record {proof.record_cid} in batch {proof.batch_id}")
            typer.echo(f"root {proof.merkle_root}, tx {proof.tx_hash}, block {proof.block_number}")
            for name, ok in result.checks.items():
                typer.echo(f"  {name}: {'ok' if ok else 'FAILED'}")
            typer.echo("valid" if result.valid else f"INVALID: {result.detail}")
            return result.valid

        async def main(ctx: AppContext) -> bool:
            if proposal_id is not None:
                return await check_proposal(ctx, proposal_id)
            return await check_record(ctx)

        if not run_with_context(running, main):
            raise typer.Exit(1)

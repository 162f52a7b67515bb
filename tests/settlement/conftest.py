"""A real anvil (tools/chain-tools.sh) on a free port, and settings pointing the relay at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI

from hotpot.adapters.ipfs import LocalBlockStore
from hotpot.chain.anvil import EmbeddedAnvil
from hotpot.chain.client import ChainClient
from hotpot.chain.contracts import Contracts
from hotpot.config import Settings
from hotpot.context import AppContext
from hotpot.governance.clock import get_clock
from hotpot.settlement.deployments import ensure_deployed
from hotpot.settlement.reconciler import reconcile
from hotpot.settlement.relay import settle_all


@pytest.fixture(scope="session")
def anvil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedAnvil]:
    node = EmbeddedAnvil(tmp_path_factory.mktemp("anvil"))
    node.start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="session")
def chain_settings(
    settings: Settings, anvil: EmbeddedAnvil, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    return settings.model_copy(
        update={
            "chain_rpc_urls": [anvil.url],
            "hotpot_data_dir": tmp_path_factory.mktemp("data"),
            "settlement_batch_size": 50,
        }
    )


class Chain:
    def __init__(self, settings: Settings, ctx: AppContext) -> None:
        self.settings = settings
        self.ctx = ctx
        self.client = ChainClient(settings.chain_rpc_urls, settings.effective_relay_private_key)
        self.store = LocalBlockStore(Path(settings.hotpot_data_dir) / "ipfs" / "blocks")

    async def contracts(self) -> Contracts:
        deployment = await ensure_deployed(
            self.ctx.db, self.client, self.settings.hotpot_data_dir / "cache" / "vyper"
        )
        return Contracts(self.client, deployment.addresses)

    async def settle(self) -> int:
        return await settle_all(self.settings, self.ctx.db, self.client, self.store)

    async def assert_no_drift(self) -> None:
        report = await reconcile(self.ctx.db, await self.contracts())
        assert report.healthy, report.lines()
        assert report.backlog == 0, report.lines()


@pytest.fixture
async def chain(chain_settings: Settings, ctx: AppContext) -> AsyncIterator[Chain]:
    own = Chain(chain_settings, ctx)
    try:
        yield own
    finally:
        await own.client.aclose()


class FakeClock:
    """The governance clock of the session app, moved by hand (no test sleeps)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(app_and_ctx: tuple[FastAPI, AppContext]) -> Iterator[FakeClock]:
    app = app_and_ctx[0]
    fake = FakeClock()
    app.dependency_overrides[get_clock] = lambda: fake
    try:
        yield fake
    finally:
        app.dependency_overrides.pop(get_clock, None)

"""The bootstrap: every adapter built once from the settings, absent ones said honestly,
and everything closed again."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotpot.adapters.ipfs import KuboRpcStore, LocalBlockStore
from hotpot.bootstrap import build_context, close_context, running_context
from hotpot.chain.client import ChainClient
from hotpot.config import ConfigError, Settings
from hotpot.domain.errors import Unavailable

# Nothing listens there; building and closing adapters opens no connection.
DB = "postgresql://postgres@127.0.0.1:9/hotpot"


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(database_url=DB, hotpot_data_dir=tmp_path, **values)  # type: ignore[arg-type]


async def test_no_chain_configured_is_none_and_services_are_told_unavailable(
    tmp_path: Path,
) -> None:
    async with running_context(_settings(tmp_path)) as ctx:
        assert ctx.chain is None
        assert isinstance(ctx.store, LocalBlockStore)
        assert ctx.store.root == tmp_path / "ipfs" / "blocks"
        with pytest.raises(Unavailable) as refused:
            ctx.require_chain()
    assert refused.value.code == "chain_unavailable"
    assert refused.value.retry_after > 0


async def test_a_configured_chain_and_ipfs_are_built_once_and_closed(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path, chain_rpc_urls=["http://127.0.0.1:9/"], ipfs_api_url="http://127.0.0.1:9/"
    )
    ctx = build_context(settings)
    assert isinstance(ctx.chain, ChainClient)
    assert ctx.require_chain() is ctx.chain
    assert ctx.chain.urls == ["http://127.0.0.1:9/"]
    assert isinstance(ctx.store, KuboRpcStore)
    await close_context(ctx)
    assert ctx.store._client.is_closed


def test_no_database_url_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        build_context(Settings(database_url=None, hotpot_data_dir=tmp_path))

"""GET /ipfs/{cid} with the Kubo RPC store (issue 10 item 21: "whatever the store").

The platform configured with IPFS_API_URL (a real js-ipfs node, tools/ipfs-node.sh)
serves what the node holds with gateway semantics, the same bytes the node's own gateway
serves, and never asks the node to fetch a block it does not hold.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from hotpot.adapters.ipfs import KuboRpcStore
from hotpot.app import create_app
from hotpot.bootstrap import close_context
from hotpot.domain.canonical import raw_cid
from tests.conftest import make_settings
from tests.integration.test_ipfs_kubo import IpfsNode, ipfs_node, sample_record

__all__ = ["ipfs_node"]  # the node fixture, shared with the store's own tests


@pytest.fixture
async def kubo_app(
    ipfs_node: IpfsNode, database_url: str, redis_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(make_settings(database_url, redis_url, ipfs_api_url=ipfs_node.api_url))
    assert isinstance(app.state.context.store, KuboRpcStore)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
    finally:
        await close_context(app.state.context)


async def test_the_gateway_route_serves_what_the_kubo_store_holds(
    kubo_app: httpx.AsyncClient, ipfs_node: IpfsNode
) -> None:
    record = sample_record().to_bytes()
    async with KuboRpcStore(ipfs_node.api_url) as store:
        cid = await store.add(record)
    served = await kubo_app.get(f"/ipfs/{cid}")
    assert served.status_code == 200 and served.content == record
    assert served.headers["content-type"] == "application/json"
    assert served.headers["cache-control"] == "public, max-age=29030400, immutable"
    assert served.headers["etag"] == f'"{cid}"'
    raw = await kubo_app.get(f"/ipfs/{cid}", headers={"Accept": "application/vnd.ipld.raw"})
    assert raw.headers["content-type"] == "application/vnd.ipld.raw" and raw.content == record
    # The node's own gateway serves the very same bytes under the same path.
    async with httpx.AsyncClient(timeout=10) as http:
        theirs = await http.get(f"{ipfs_node.gateway_url}/ipfs/{cid}")
    assert theirs.status_code == 200 and theirs.content == record
    # A block the node does not hold is not fetched for the caller.
    missing = await kubo_app.get(f"/ipfs/{raw_cid(b'not on this node')}")
    assert missing.status_code == 404 and missing.json()["code"] == "not_stored"

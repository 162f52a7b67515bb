"""The public verify page (/app/verify) for a settled order and a settled till receipt:
what the proof routes answer, shown in words (a real anvil settles the batch)."""

from __future__ import annotations

import httpx

from hotpot.context import AppContext
from tests.settlement.conftest import Chain
from tests.settlement.test_settlement_e2e import till_sale
from tests.support import World, ok


async def test_the_verify_page_shows_a_settled_order_and_receipt(
    client: httpx.AsyncClient, world: World, ctx: AppContext, chain: Chain
) -> None:
    _, token = await world.customer()
    item = await world.item(price=4_000, portions=5)
    order = await world.order(token, world.node_a, item)
    await world.complete(order["id"])
    before = await client.get(f"/app/verify?id={order['id']}")
    assert before.status_code == 200 and "pending until the next settlement batch" in before.text
    sale = await till_sale(world)
    await chain.settle()
    proof = ok(await client.get(f"/api/v1/settlement/proofs/order/{order['id']}"))
    shown = await client.get(f"/app/verify?id={order['id']}")
    assert shown.status_code == 200, shown.text
    assert 'data-state="settled"' in shown.text
    assert f"data-batch>{proof['batch_id']}<" in shown.text
    assert f"data-root>{proof['merkle_root']}<" in shown.text
    assert f"data-tx>{proof['tx_hash']}<" in shown.text
    for step in proof["proof"]:
        assert f"<li>{step}</li>" in shown.text
    # The session app has no chain client: the page says the check cannot be made now.
    assert "The chain cannot be asked now" in shown.text
    # A receipt by the id printed on it: the record is its sale's.
    receipt = await client.get(f"/app/verify?id={sale['receipt_id']}")
    assert receipt.status_code == 200
    assert 'data-state="settled"' in receipt.text
    assert str(sale["sale_id"]) in receipt.text
    # The transparency page names the contracts the batch was settled against.
    network = ok(await client.get("/api/v1/settlement/network"))
    figures = await client.get("/app/transparency")
    assert f'data-contract="registry">{network["registry"]}<' in figures.text

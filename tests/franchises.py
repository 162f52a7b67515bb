"""A franchise of its own for a test: a franchisee, their FRANCHISE node, a till there.

The session's World shares its franchisee and node B with every test, so figures there
depend on what ran before; a test that checks totals builds its own franchise.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from tests.support import World, bearer, login, ok


@dataclass(frozen=True)
class Franchise:
    account: dict[str, Any]  # the franchisee's account (email, id)
    node_id: str
    token: str  # the franchisee's access token, naming the node
    terminal_token: str

    @property
    def auth(self) -> dict[str, str]:
        return bearer(self.token)


async def new_franchise(world: World, city: str = "Kutaisi") -> Franchise:
    franchisee = await world.staff("franchisee")
    node = ok(
        await world.client.post(
            "/api/v1/nodes",
            json={
                "name": f"F-{uuid.uuid4().hex[:6]}",
                "city": city,
                "type": "FRANCHISE",
                "owner_account_id": franchisee["id"],
            },
            headers=world.auth("owner"),
        ),
        201,
    )
    terminal = await world.terminal(node["id"])
    # Signed in after the node exists, so the token names it.
    token = await login(world.client, franchisee["email"])
    return Franchise(franchisee, node["id"], token, terminal)


async def till_sale(
    world: World, franchise: Franchise, item: str, quantity: int = 1
) -> dict[str, Any]:
    """A walk-in sale at the franchise's node, through the API."""
    body = {
        "terminal_sale_id": f"till-{uuid.uuid4().hex[:12]}",
        "lines": [{"item_id": item, "quantity": quantity}],
    }
    sale = ok(
        await world.client.post(
            "/api/v1/sales", json=body, headers=bearer(franchise.terminal_token)
        ),
        201,
    )
    assert isinstance(sale, dict)
    return sale

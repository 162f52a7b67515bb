"""The demo network seeded on a fresh development database (first start only).

Passwords and terminal secrets are generated, never committed: they are written to
`<data dir>/demo-credentials.json` (readable by its owner only) for the README tour.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from hotpot.accounts import service as accounts
from hotpot.accounts.schemas import NodeStaffIn, OfficeStaffIn
from hotpot.context import AppContext
from hotpot.domain.access import AccessRole, Actor
from hotpot.menu import service as menu
from hotpot.menu.schemas import IngredientIn, ItemIn
from hotpot.network import service as network
from hotpot.network.schemas import FranchiseNodeIn, OwnerNodeIn

DEMO_DISHES: list[tuple[str, str, int, int, list[tuple[str, int, int]]]] = [
    (
        "Classic Hot Pot",
        "Spicy Sichuan broth, beef, tofu, greens",
        3200,
        9,
        [("beef", 150, 375), ("tofu", 100, 76), ("bok choy", 80, 10), ("chili broth", 400, 180)],
    ),
    (
        "Mushroom Hot Pot",
        "Shiitake and enoki in a clear broth",
        2600,
        7,
        [("shiitake", 120, 41), ("enoki", 100, 37), ("tofu", 100, 76), ("clear broth", 400, 60)],
    ),
    (
        "Khinkali Hot Pot",
        "Georgian dumplings in a peppery broth",
        2900,
        8,
        [("khinkali", 250, 520), ("pepper broth", 400, 90), ("herbs", 20, 8)],
    ),
    (
        "Seafood Hot Pot",
        "Shrimp, squid and mussels",
        3900,
        6,
        [
            ("shrimp", 120, 119),
            ("squid", 100, 92),
            ("mussels", 100, 86),
            ("tom yum broth", 400, 120),
        ],
    ),
    (
        "Lamb Hot Pot",
        "Mongolian style lamb with leek",
        3500,
        6,
        [("lamb", 150, 441), ("leek", 60, 37), ("bone broth", 400, 160)],
    ),
    (
        "Vegan Garden Pot",
        "Seasonal vegetables, glass noodles",
        2200,
        5,
        [("vegetables", 250, 90), ("glass noodles", 80, 280), ("kombu broth", 400, 40)],
    ),
    (
        "Chicken Satsivi Pot",
        "Chicken in a walnut broth",
        2800,
        5,
        [("chicken", 150, 248), ("walnut sauce", 80, 420), ("broth", 300, 90)],
    ),
    (
        "Dumpling Side",
        "Six pork dumplings",
        1200,
        4,
        [("pork dumplings", 180, 400), ("soy dip", 30, 16)],
    ),
    ("Jasmine Rice", "Steamed rice", 400, 3, [("rice", 200, 260)]),
]


async def demo_needed(ctx: AppContext) -> bool:
    return not await network.any_node(ctx)


def _password() -> str:
    return secrets.token_urlsafe(12)


async def seed_demo(ctx: AppContext, data_dir: Path) -> dict[str, Any]:
    """Create the demo network and write its credentials file; returns what it wrote."""
    creds: dict[str, Any] = {}
    owner_pw, chef_pw, franchisee_pw = _password(), _password(), _password()
    owner = await accounts.create_staff(
        ctx,
        OfficeStaffIn(
            email="owner@demo.hotpot", password=owner_pw, role="owner", name="Demo Owner"
        ),
    )
    franchisee = await accounts.create_staff(
        ctx,
        OfficeStaffIn(email="franchisee@demo.hotpot", password=franchisee_pw, role="franchisee"),
    )
    owner_node = await network.create_node(
        ctx,
        OwnerNodeIn(name="Hot Pot Spot Rustaveli", city="Tbilisi", type="OWNER"),
        accounts.role_of,
    )
    franchise_node = await network.create_node(
        ctx,
        FranchiseNodeIn(
            name="Hot Pot Spot Seaside",
            city="Batumi",
            type="FRANCHISE",
            owner_account_id=franchisee.id,
        ),
        accounts.role_of,
    )
    await accounts.create_staff(
        ctx,
        NodeStaffIn(email="chef@demo.hotpot", password=chef_pw, role="chef", node_id=owner_node.id),
    )
    terminals = {}
    for node in (owner_node, franchise_node):
        created = await network.create_terminal(ctx, node.id, f"{node.city} till 1")
        await network.set_whitelisted(ctx, created.id, True)
        terminals[node.city] = {"terminal_id": str(created.id), "secret": created.secret}
    owner_actor = Actor(role=AccessRole.OWNER, id=owner.id)
    dishes = []
    for name, description, price, priority, ingredients in DEMO_DISHES:
        item = await menu.create_item(
            ctx,
            ItemIn(
                name=name,
                description=description,
                price_tetri=price,
                priority=priority,
                ingredients=[IngredientIn(name=n, grams=g, kcal=k) for n, g, k in ingredients],
            ),
            owner.id,
        )
        dishes.append(str(item.id))
        for node in (owner_node, franchise_node):
            await menu.set_portions(ctx, owner_actor, node.id, item.id, 50)
    creds = {
        "owner": {"login": "owner@demo.hotpot", "password": owner_pw},
        "franchisee": {"login": "franchisee@demo.hotpot", "password": franchisee_pw},
        "chef": {"login": "chef@demo.hotpot", "password": chef_pw, "node_id": str(owner_node.id)},
        "nodes": {"OWNER": str(owner_node.id), "FRANCHISE": str(franchise_node.id)},
        "terminals": terminals,
        "dishes": dishes,
    }
    _write_private(data_dir / "demo-credentials.json", json.dumps(creds, indent=2))
    return creds


def _write_private(path: Path, text: str) -> None:
    """Owner-readable only: the file holds the demo passwords."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)

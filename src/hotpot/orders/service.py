"""Orders: creation (server-priced), the guarded state machine, and reads.

Creation runs in the caller's transaction: the api wraps it in the Idempotency-Key that
stores the first response.
"""

from __future__ import annotations

from uuid import UUID, uuid4

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.context import AppContext
from hotpot.domain.access import AccessRole, Actor
from hotpot.domain.errors import Conflict, Forbidden, Invalid, NotFound
from hotpot.domain.menu import ItemStatus, orderable
from hotpot.domain.orders import (
    OPEN_STATUSES,
    Order,
    OrderStatus,
    PricedLine,
    check_transition,
    merge_lines,
    order_total,
    releases_stock,
    reserves_stock,
)
from hotpot.domain.results import Slice
from hotpot.domain.tokenomics import Mint, NodeType
from hotpot.ledger import service as ledger
from hotpot.ledger.holders import account_holder
from hotpot.menu import repository as menu_repo
from hotpot.menu.cache import invalidate
from hotpot.network import repository as network_repo
from hotpot.orders import repository as repo
from hotpot.orders.schemas import OrderIn
from hotpot.telemetry.metrics import ORDERS_TRANSITIONS, record_sale


def _order_not_found() -> NotFound:
    return NotFound("order_not_found", "no order with this id")


def _order(row: RowMapping, lines: list[RowMapping]) -> Order:
    return Order(
        id=row["id"],
        customer_id=row["customer_id"],
        node_id=row["node_id"],
        status=OrderStatus(row["status"]),
        total_tetri=row["total_tetri"],
        cancel_reason=row["cancel_reason"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        lines=tuple(
            PricedLine(line["item_id"], line["quantity"], line["unit_price_tetri"])
            for line in lines
        ),
    )


async def _load(conn: AsyncConnection, order_id: UUID) -> Order:
    row = await repo.order(conn, order_id)
    if row is None:
        raise _order_not_found()
    return _order(row, (await repo.lines_of(conn, [order_id]))[order_id])


async def place_order(conn: AsyncConnection, actor: Actor, data: OrderIn) -> Order:
    """A new PENDING order, priced from the menu, in the caller's transaction."""
    active = await network_repo.node_active(conn, data.node_id)
    if not active:
        raise NotFound("node_not_found", "no active node with this id")
    wanted = merge_lines((line.item_id, line.quantity) for line in data.lines)
    stock = await menu_repo.items_with_stock(conn, data.node_id, [item_id for item_id, _ in wanted])
    priced: list[PricedLine] = []
    for item_id, quantity in wanted:
        item = stock.get(item_id)
        if item is None or item["status"] != ItemStatus.ACTIVE:
            raise Invalid("item_not_orderable", f"menu item {item_id} is not on the menu")
        if not orderable(ItemStatus(item["status"]), item["portions"], quantity):
            raise Conflict(
                "sold_out", f"menu item {item_id} has {item['portions']} portions left here"
            )
        priced.append(PricedLine(item_id, quantity, item["price_tetri"]))
    order_id = uuid4()
    total = order_total(priced)
    order: dict[str, object] = {
        "id": order_id,
        "customer_id": actor.id,
        "node_id": data.node_id,
        "status": OrderStatus.PENDING.value,
        "total_tetri": total,
    }
    times = await repo.insert_order(
        conn,
        order,
        [
            {
                "order_id": order_id,
                "line_no": number,
                "item_id": line.item_id,
                "quantity": line.quantity,
                "unit_price_tetri": line.unit_price_tetri,
            }
            for number, line in enumerate(priced, start=1)
        ],
        actor=f"{actor.role}:{actor.id}",
    )
    # What was just written, not read back (the times are the insert's RETURNING).
    return Order(
        id=order_id,
        customer_id=actor.id,
        node_id=data.node_id,
        status=OrderStatus.PENDING,
        total_tetri=total,
        cancel_reason=None,
        created_at=times["created_at"],
        updated_at=times["updated_at"],
        lines=tuple(priced),
    )


def count_placed() -> None:
    """Count an answered order creation (a replayed answer too, as before)."""
    ORDERS_TRANSITIONS.labels(OrderStatus.PENDING.value).inc()


async def transition(
    ctx: AppContext, actor: Actor, order_id: UUID, target: OrderStatus, reason: str | None
) -> Order:
    async with ctx.db.transaction() as conn:
        row = await repo.order_for_update(conn, order_id)
        if row is None or not _may_see(actor, row):
            raise _order_not_found()
        current = OrderStatus(row["status"])
        if current is target:
            # A retried transition is answered with the order as it is, not an error.
            return await _load(conn, order_id)
        check_transition(
            actor,
            current=current,
            target=target,
            order_node=row["node_id"],
            order_customer=row["customer_id"],
            reason=reason,
        )
        lines = (await repo.lines_of(conn, [order_id]))[order_id]
        if reserves_stock(current, target):
            # A fixed lock order (by item id) so two confirmations cannot deadlock.
            for line in sorted(lines, key=lambda line: line["item_id"]):
                if not await menu_repo.take_stock(
                    conn, row["node_id"], line["item_id"], line["quantity"]
                ):
                    raise Conflict(
                        "sold_out", f"not enough portions of {line['item_id']} left to confirm"
                    )
        elif releases_stock(current, target):
            for line in sorted(lines, key=lambda line: line["item_id"]):
                await menu_repo.return_stock(
                    conn, row["node_id"], line["item_id"], line["quantity"]
                )
        updated = await repo.set_status(
            conn, order_id, current.value, target.value, f"{actor.role}:{actor.id}", reason
        )
        assert updated is not None  # the row is locked FOR UPDATE
        result = _order(updated, lines)
        mint = None
        if target is OrderStatus.COMPLETED:
            mint = await _mint_for(ctx, conn, updated)
    if reserves_stock(current, target) or releases_stock(current, target):
        # Portions left are part of the node's cached menu.
        await invalidate(ctx, [row["node_id"]])
    ORDERS_TRANSITIONS.labels(target.value).inc()
    if mint is not None:
        record_sale(str(result.node_id), "order", result.total_tetri, mint)
    return result


async def _mint_for(ctx: AppContext, conn: AsyncConnection, order: RowMapping) -> Mint | None:
    """Tokens are minted when an order reaches COMPLETED, with the customer as buyer."""
    node = await network_repo.node(conn, order["node_id"])
    assert node is not None
    return await ledger.mint_purchase(
        conn,
        ctx.settings,
        ledger.Purchase(
            ref_kind="order",
            ref_id=str(order["id"]),
            node_id=order["node_id"],
            node_type=NodeType(node["type"]),
            franchisee_account=node["owner_account_id"],
            buyer_holder=account_holder(order["customer_id"]),
            amount_tetri=order["total_tetri"],
            at=order["updated_at"],
        ),
    )


def _may_see(actor: Actor, row: RowMapping) -> bool:
    if actor.role is AccessRole.CUSTOMER:
        return bool(row["customer_id"] == actor.id)
    if actor.role in (AccessRole.COMPLIANCE, AccessRole.TERMINAL):
        return False
    return actor.acts_at(row["node_id"])


async def get_order(ctx: AppContext, actor: Actor, order_id: UUID) -> Order:
    async with ctx.db.transaction() as conn:
        row = await repo.order(conn, order_id)
        # Someone else's order is reported as missing, so ids cannot be probed.
        if row is None or not _may_see(actor, row):
            raise _order_not_found()
        return _order(row, (await repo.lines_of(conn, [order_id]))[order_id])


async def list_orders(
    ctx: AppContext,
    actor: Actor,
    node_id: UUID | None,
    status: OrderStatus | None,
    limit: int,
    offset: int,
) -> Slice[Order]:
    customer_id: UUID | None = None
    node_ids: list[UUID] | None = None
    if actor.role is AccessRole.CUSTOMER:
        customer_id = actor.id
        node_ids = [node_id] if node_id else None
    elif actor.role is AccessRole.OWNER:
        node_ids = [node_id] if node_id else None
    elif actor.role is AccessRole.COMPLIANCE:
        raise Forbidden("forbidden", "compliance staff do not read orders")
    elif actor.role is AccessRole.TERMINAL:
        # A till needs no app orders (and their customer ids); http.auth refuses it first.
        raise Forbidden("forbidden", "a POS terminal does not read app orders")
    else:
        if node_id is not None and not actor.acts_at(node_id):
            raise Forbidden("forbidden", "this node is not yours")
        node_ids = [node_id] if node_id else sorted(actor.node_ids)
    async with ctx.db.transaction() as conn:
        rows = await repo.list_orders(
            conn,
            customer_id=customer_id,
            node_ids=node_ids,
            status=status.value if status else None,
            limit=limit + 1,
            offset=offset,
        )
        lines = await repo.lines_of(conn, [row["id"] for row in rows])
    return Slice([_order(row, lines[row["id"]]) for row in rows[:limit]], len(rows) > limit)


async def open_orders(
    ctx: AppContext, actor: Actor, node_id: UUID, limit: int, offset: int = 0
) -> Slice[Order]:
    """The node's queue: every order not yet COMPLETED or CANCELLED, oldest first, in one
    query (the kitchen display). For the node's staff and the network owner."""
    if actor.role in (AccessRole.CUSTOMER, AccessRole.COMPLIANCE, AccessRole.TERMINAL):
        raise Forbidden("forbidden", "the kitchen's queue is for the node's staff")
    if not actor.acts_at(node_id):
        raise Forbidden("forbidden", "this node is not yours")
    statuses = [status.value for status in OPEN_STATUSES]
    # The primary, not a replica: the display reloads right after a tap moved an order.
    async with ctx.db.transaction() as conn:
        rows = await repo.open_orders(conn, node_id, statuses, limit + 1, offset)
        lines = await repo.lines_of(conn, [row["id"] for row in rows[:limit]])
    return Slice([_order(row, lines[row["id"]]) for row in rows[:limit]], len(rows) > limit)

"""SQL of the ledger: posting movements (entries, the balance and supply aggregates and
outbox rows, together), purchases, and the reads of balances, history and registers.

Every write happens in the caller's transaction, so a business change and the ledger
entries and chain work it implies commit or roll back as one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any
from uuid import UUID

from sqlalchemy import Select, func, insert, literal, select, text, union_all, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.accounts import repository as accounts_repo
from hotpot.config import Settings
from hotpot.domain.tokenomics import TokenomicsSettings, settings_from_json, settings_to_json
from hotpot.ledger.holders import (
    HolderWithoutAddress,
    account_of,
    network_addresses,
)
from hotpot.ledger.tables import (
    ledger_balances,
    ledger_entries,
    ledger_supply,
    node_sales,
    outbox,
    purchases,
    tokenomics_versions,
)

TOKENS = ("THP", "SPOT")


class InsufficientBalance(Exception):
    """A movement would take a holder below zero; nothing was written."""


@dataclass(frozen=True)
class Movement:
    token: str
    kind: str
    units: int
    from_holder: str | None
    to_holder: str | None
    ref_kind: str
    ref_id: str


async def post(
    conn: AsyncConnection,
    settings: Settings,
    movements: Sequence[Movement],
    *,
    before_counters: Callable[[], Awaitable[None]] | None = None,
) -> list[int]:
    """Append the movements; returns their entry ids. Zero-unit movements are dropped.

    `before_counters` runs the caller's own remaining writes after the entries and the
    outbox rows and before the shared counters, so that only the commit follows those."""
    moves = [m for m in movements if m.units > 0]
    if not moves:
        if before_counters is not None:
            await before_counters()
        return []
    rows = await conn.execute(
        _INSERT_ENTRIES,
        {
            "tokens": [m.token for m in moves],
            "kinds": [m.kind for m in moves],
            "units": [m.units for m in moves],
            "from_holders": [m.from_holder for m in moves],
            "to_holders": [m.to_holder for m in moves],
            "ref_kinds": [m.ref_kind for m in moves],
            "ref_ids": [m.ref_id for m in moves],
        },
    )
    # The ids come from the sequence in the arrays' order: sorted, they follow `moves`.
    entry_ids = sorted(int(row.id) for row in rows)
    await _write_outbox(conn, settings, moves, entry_ids)
    if before_counters is not None:
        await before_counters()
    # The shared rows (the network's balances, the supply) last, so every posting holds
    # their locks for as short a time as possible: till sales queue on them.
    await _apply_counters(conn, moves)
    return entry_ids


# A posting's entries in one statement of fixed text, whatever their number: a multi-row
# `insert().values([...])` is a statement SQLAlchemy cannot cache, so it was compiled
# anew for every posting (a millisecond of a worker's CPU per sale, order and claim).
_INSERT_ENTRIES = text(
    "INSERT INTO ledger_entries (token, kind, units, from_holder, to_holder, ref_kind, ref_id)"
    " SELECT token, kind, units, from_holder, to_holder, ref_kind, ref_id"
    " FROM unnest(CAST(:tokens AS text[]), CAST(:kinds AS text[]), CAST(:units AS bigint[]),"
    " CAST(:from_holders AS text[]), CAST(:to_holders AS text[]), CAST(:ref_kinds AS text[]),"
    " CAST(:ref_ids AS text[]))"
    " WITH ORDINALITY AS m(token, kind, units, from_holder, to_holder, ref_kind, ref_id, n)"
    " ORDER BY n RETURNING id"
)


# Every positive balance change and every supply change of a posting in one statement;
# the rows are locked in the arrays' order (sorted), so postings cannot deadlock.
_ADD_UNITS = text(
    "WITH b AS (INSERT INTO ledger_balances (holder, token, units)"
    " SELECT * FROM unnest(CAST(:holders AS text[]), CAST(:tokens AS text[]),"
    " CAST(:units AS bigint[]))"
    " ON CONFLICT (holder, token) DO UPDATE SET units = ledger_balances.units + excluded.units"
    " RETURNING 1),"
    " s AS (INSERT INTO ledger_supply (token, units)"
    " SELECT * FROM unnest(CAST(:supply_tokens AS text[]), CAST(:supply_units AS bigint[]))"
    " ON CONFLICT (token) DO UPDATE SET units = ledger_supply.units + excluded.units"
    " RETURNING 1)"
    " SELECT (SELECT count(*) FROM b), (SELECT count(*) FROM s)"
)


# Additions to some balances, the rows locked in the arrays' order (the caller's sort).
_ADD_BALANCES = text(
    "INSERT INTO ledger_balances (holder, token, units)"
    " SELECT holder, token, units FROM unnest(CAST(:holders AS text[]),"
    " CAST(:tokens AS text[]), CAST(:units AS bigint[]))"
    " WITH ORDINALITY AS d(holder, token, units, n) ORDER BY n"
    " ON CONFLICT (holder, token) DO UPDATE SET units = ledger_balances.units + excluded.units"
)

# Takings from some balances (`units` negative), each only if the holder has enough; the
# rows are locked first, in the arrays' order, so that two postings cannot deadlock. The
# UPDATE re-reads a row another transaction changed meanwhile (READ COMMITTED), so its
# guard sees the latest units. Returns the rows taken from.
_TAKE_BALANCES = text(
    "WITH d AS (SELECT * FROM unnest(CAST(:holders AS text[]), CAST(:tokens AS text[]),"
    " CAST(:units AS bigint[])) WITH ORDINALITY AS d(holder, token, units, n)),"
    " locked AS MATERIALIZED (SELECT b.holder, b.token FROM ledger_balances b"
    " JOIN d ON b.holder = d.holder AND b.token = d.token ORDER BY d.n FOR UPDATE OF b)"
    " UPDATE ledger_balances b SET units = b.units + d.units FROM d, locked"
    " WHERE b.holder = d.holder AND b.token = d.token"
    " AND locked.holder = d.holder AND locked.token = d.token AND b.units >= -d.units"
    " RETURNING b.holder, b.token"
)


def _balance_arrays(changes: Sequence[tuple[tuple[str, str], int]]) -> dict[str, list[Any]]:
    """The `:holders`, `:tokens` and `:units` arrays of balance changes, in their order."""
    return {
        "holders": [holder for (holder, _), _ in changes],
        "tokens": [token for (_, token), _ in changes],
        "units": [delta for _, delta in changes],
    }


async def _apply_counters(conn: AsyncConnection, moves: Sequence[Movement]) -> None:
    deltas: dict[tuple[str, str], int] = defaultdict(int)
    supply: dict[str, int] = defaultdict(int)
    for m in moves:
        if m.from_holder is not None:
            deltas[(m.from_holder, m.token)] -= m.units
        else:
            supply[m.token] += m.units
        if m.to_holder is not None:
            deltas[(m.to_holder, m.token)] += m.units
        else:
            supply[m.token] -= m.units
    added = sorted((key, delta) for key, delta in deltas.items() if delta)
    grown = sorted((token, delta) for token, delta in supply.items() if delta)
    # One fixed order of row locks, so concurrent postings cannot deadlock each other:
    # the balances by (holder, token), then the supply by token.
    if all(delta > 0 for _, delta in added) and all(delta > 0 for _, delta in grown):
        # Only additions (a mint): one statement.
        if added or grown:
            await conn.execute(
                _ADD_UNITS,
                {
                    **_balance_arrays(added),
                    "supply_tokens": [token for token, _ in grown],
                    "supply_units": [delta for _, delta in grown],
                },
            )
        return
    # The other postings (claims, transfers, distributions, expiries): the balance changes
    # in the one lock order, a statement per run of changes of one sign. A claim's custody
    # rows, which every claim takes, are thus one statement before the commit, not two.
    for adding, run in groupby(added, key=lambda change: change[1] > 0):
        changes = list(run)
        params = _balance_arrays(changes)
        if adding:
            await conn.execute(_ADD_BALANCES, params)
            continue
        # A guarded UPDATE: a row changes only when its holder has enough; any refusal
        # rolls the whole posting back with the caller's transaction.
        taken = {(row.holder, row.token) for row in await conn.execute(_TAKE_BALANCES, params)}
        for (holder, token), _ in changes:
            if (holder, token) not in taken:
                raise InsufficientBalance(f"{holder} holds too little {token}")
    for token, delta in grown:
        if delta < 0:
            # An UPDATE, not an upsert: the would-be inserted negative row trips the CHECK.
            await conn.execute(
                update(ledger_supply)
                .where(ledger_supply.c.token == token)
                .values(units=ledger_supply.c.units + delta)
            )
        else:
            stmt = pg_insert(ledger_supply).values(token=token, units=delta)
            await conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=[ledger_supply.c.token],
                    set_={"units": ledger_supply.c.units + delta},
                )
            )


async def _write_outbox(
    conn: AsyncConnection, settings: Settings, moves: Sequence[Movement], entry_ids: list[int]
) -> None:
    holders = {h for m in moves for h in (m.from_holder, m.to_holder) if h is not None}
    address = await addresses_of(conn, settings, holders)
    rows: list[dict[str, Any]] = []
    for entry_id, m in zip(entry_ids, moves, strict=True):
        source = address[m.from_holder] if m.from_holder else None
        target = address[m.to_holder] if m.to_holder else None
        if source == target:
            continue  # e.g. custody -> pool: the same address on chain, nothing to settle
        if source is not None:
            rows.append(
                {"entry_id": entry_id, "token": m.token, "address": source, "delta": -m.units}
            )
        if target is not None:
            rows.append(
                {"entry_id": entry_id, "token": m.token, "address": target, "delta": m.units}
            )
    if rows:
        await conn.execute(insert(outbox), rows)


async def addresses_of(
    conn: AsyncConnection, settings: Settings, holders: Iterable[str]
) -> dict[str, str]:
    """The chain address of every holder named (one query for all account holders)."""
    network = network_addresses(settings)
    found: dict[str, str] = {}
    account_ids: dict[UUID, str] = {}
    for holder in set(holders):
        if holder in network:
            found[holder] = network[holder]
        else:
            account_id = account_of(holder)
            if account_id is None:
                raise ValueError(f"unknown holder {holder!r}")
            account_ids[account_id] = holder
    if account_ids:
        wallets = await accounts_repo.wallet_addresses(conn, account_ids)
        for account_id, address in wallets.items():
            found[account_ids[account_id]] = address
    missing = [holder for holder in account_ids.values() if holder not in found]
    if missing:
        raise HolderWithoutAddress(f"no wallet address for {', '.join(sorted(missing))}")
    return found


async def balance(conn: AsyncConnection, holder: str, token: str) -> int:
    value = await conn.scalar(
        select(ledger_balances.c.units).where(
            ledger_balances.c.holder == holder, ledger_balances.c.token == token
        )
    )
    return int(value or 0)


async def balances(conn: AsyncConnection, holder: str) -> dict[str, int]:
    rows = await conn.execute(
        select(ledger_balances.c.token, ledger_balances.c.units).where(
            ledger_balances.c.holder == holder
        )
    )
    found = {token: 0 for token in TOKENS}
    found.update({row.token: int(row.units) for row in rows})
    return found


async def balances_and_supply(
    conn: AsyncConnection, holder: str, token: str
) -> tuple[dict[str, int], int]:
    """`balances(holder)` and `supply(token)` in one round trip (a wallet read needs both)."""
    held = select(ledger_balances.c.token, ledger_balances.c.units, literal(False)).where(
        ledger_balances.c.holder == holder
    )
    total = select(ledger_supply.c.token, ledger_supply.c.units, literal(True)).where(
        ledger_supply.c.token == token
    )
    found = {name: 0 for name in TOKENS}
    supplied = 0
    for name, units, is_supply in await conn.execute(union_all(held, total)):
        if is_supply:
            supplied = int(units)
        else:
            found[name] = int(units)
    return found, supplied


async def supply(conn: AsyncConnection, token: str) -> int:
    value = await conn.scalar(select(ledger_supply.c.units).where(ledger_supply.c.token == token))
    return int(value or 0)


async def balance_at(conn: AsyncConnection, holder: str, token: str, at: datetime) -> int:
    """A holder's balance at a past moment, from the entries (used for snapshots)."""
    incoming = select(func.coalesce(func.sum(ledger_entries.c.units), 0)).where(
        ledger_entries.c.to_holder == holder,
        ledger_entries.c.token == token,
        ledger_entries.c.created_at <= at,
    )
    outgoing = select(func.coalesce(func.sum(ledger_entries.c.units), 0)).where(
        ledger_entries.c.from_holder == holder,
        ledger_entries.c.token == token,
        ledger_entries.c.created_at <= at,
    )
    return int(await conn.scalar(incoming) or 0) - int(await conn.scalar(outgoing) or 0)


async def minted_to_since(conn: AsyncConnection, holder: str, token: str, since: datetime) -> int:
    value = await conn.scalar(
        select(func.coalesce(func.sum(ledger_entries.c.units), 0)).where(
            ledger_entries.c.to_holder == holder,
            ledger_entries.c.token == token,
            ledger_entries.c.kind == "mint",
            ledger_entries.c.created_at >= since,
        )
    )
    return int(value or 0)


async def history(
    conn: AsyncConnection, holder: str, limit: int, offset: int = 0, before: int | None = None
) -> list[RowMapping]:
    """A holder's entries, newest first: `limit` of them with an id below `before`.

    Keyset: each side (received, sent) is read newest first along its (holder, id)
    index, only as far as the page needs, whatever the holder's history length. An
    `offset` (the older way to page, kept for clients that use it) still skips rows.
    """
    E = ledger_entries
    sides = []
    for side, other in ((E.c.to_holder, E.c.from_holder), (E.c.from_holder, E.c.to_holder)):
        where = [side == holder]
        if side is E.c.from_holder:
            where.append(other.is_distinct_from(holder))  # an entry to oneself, once
        if before is not None:
            where.append(E.c.id < before)
        sides.append(
            select(E).where(*where).order_by(E.c.id.desc()).limit(limit + offset).subquery()
        )
    both = union_all(*(select(side) for side in sides)).subquery()
    stmt = select(both).order_by(both.c.id.desc()).limit(limit).offset(offset)
    return list((await conn.execute(stmt)).mappings())


async def spot_received_since(conn: AsyncConnection, holder: str, since: datetime) -> int:
    """SPOT minted to or claimed by this holder since `since` (what the daily cap counts)."""
    value = await conn.scalar(
        select(func.coalesce(func.sum(ledger_entries.c.units), 0)).where(
            ledger_entries.c.to_holder == holder,
            ledger_entries.c.token == "SPOT",
            ledger_entries.c.kind.in_(["mint", "claim"]),
            ledger_entries.c.created_at >= since,
        )
    )
    return int(value or 0)


async def held_by(conn: AsyncConnection, holders: Sequence[str], token: str) -> int:
    """The units of `token` the named holders hold together."""
    if not holders:
        return 0
    value = await conn.scalar(
        select(func.coalesce(func.sum(ledger_balances.c.units), 0)).where(
            ledger_balances.c.holder.in_(list(holders)), ledger_balances.c.token == token
        )
    )
    return int(value or 0)


async def lock_balance(conn: AsyncConnection, holder: str, token: str) -> int:
    """The balance, with its row locked until the transaction ends (0 when there is none)."""
    stmt = (
        select(ledger_balances.c.units)
        .where(ledger_balances.c.holder == holder, ledger_balances.c.token == token)
        .with_for_update()
    )
    return int(await conn.scalar(stmt) or 0)


async def holdings(conn: AsyncConnection, token: str, excluded: Sequence[str]) -> dict[str, int]:
    """Every positive balance of `token`, but those of the `excluded` holders."""
    stmt = select(ledger_balances.c.holder, ledger_balances.c.units).where(
        ledger_balances.c.token == token,
        ledger_balances.c.units > 0,
        ledger_balances.c.holder.not_in(list(excluded)),
    )
    return {row.holder: int(row.units) for row in await conn.execute(stmt)}


async def largest_holdings(
    conn: AsyncConnection, token: str, prefix: str, limit: int, offset: int
) -> list[tuple[str, int]]:
    """Positive balances of `token` of the holders named `prefix...`, largest first."""
    stmt = (
        select(ledger_balances.c.holder, ledger_balances.c.units)
        .where(
            ledger_balances.c.token == token,
            ledger_balances.c.units > 0,
            ledger_balances.c.holder.startswith(prefix, autoescape=True),
        )
        .order_by(ledger_balances.c.units.desc(), ledger_balances.c.holder)
        .limit(limit)
        .offset(offset)
    )
    return [(str(row.holder), int(row.units)) for row in await conn.execute(stmt)]


# --- purchases ------------------------------------------------------------------------


async def record_purchase(conn: AsyncConnection, values: dict[str, Any]) -> bool:
    """True for a purchase not seen before; False when it was recorded (and minted) already."""
    recorded = await conn.execute(
        pg_insert(purchases).values(**values).on_conflict_do_nothing().returning(purchases.c.ref_id)
    )
    return recorded.first() is not None


async def set_purchase_tokenomics(
    conn: AsyncConnection, ref_kind: str, ref_id: str, version: int
) -> None:
    await conn.execute(
        purchases.update()
        .where(purchases.c.ref_kind == ref_kind, purchases.c.ref_id == ref_id)
        .values(tokenomics_version=version)
    )


async def count_node_sale(
    conn: AsyncConnection, node_id: UUID, amount_tetri: int, franchisee_units: int
) -> None:
    """Add one sale of `amount_tetri` (and its franchisee's THP) to the node's running totals."""
    stmt = pg_insert(node_sales).values(
        node_id=node_id,
        sales_count=1,
        volume_tetri=amount_tetri,
        franchisee_thp_units=franchisee_units,
    )
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[node_sales.c.node_id],
            set_={
                "sales_count": node_sales.c.sales_count + 1,
                "volume_tetri": node_sales.c.volume_tetri + amount_tetri,
                "franchisee_thp_units": node_sales.c.franchisee_thp_units + franchisee_units,
            },
        )
    )


async def node_totals(conn: AsyncConnection, node_id: UUID) -> tuple[int, int, int]:
    """(purchases, volume in tetri, THP units to its franchisee) at the node: one row."""
    row = (
        await conn.execute(
            select(
                node_sales.c.sales_count,
                node_sales.c.volume_tetri,
                node_sales.c.franchisee_thp_units,
            ).where(node_sales.c.node_id == node_id)
        )
    ).first()
    if row is None:
        return 0, 0, 0
    return int(row.sales_count), int(row.volume_tetri), int(row.franchisee_thp_units)


async def outbox_backlog(conn: AsyncConnection) -> tuple[int, float]:
    """(unsettled outbox rows, age in seconds of the oldest one)."""
    row = (
        await conn.execute(
            select(
                func.count(),
                func.coalesce(func.extract("epoch", func.now() - func.min(outbox.c.created_at)), 0),
            ).where(outbox.c.settled_at.is_(None))
        )
    ).one()
    return int(row[0]), float(row[1])


def positive_balances(token: str, excluded: Sequence[str] = ()) -> Select[tuple[str, int]]:
    """(holder, units) of every positive balance of `token` but the `excluded` holders',
    as a query to embed: the governance snapshot copies it in one INSERT ... SELECT (one
    consistent state)."""
    return select(ledger_balances.c.holder, ledger_balances.c.units).where(
        ledger_balances.c.token == token,
        ledger_balances.c.units > 0,
        ledger_balances.c.holder.not_in(list(excluded)),
    )


# --- tokenomics versions: version 0 is domain.md's defaults; governance adds more -----


async def tokenomics_in_force(conn: AsyncConnection) -> tuple[int, TokenomicsSettings]:
    row = (
        await conn.execute(
            select(tokenomics_versions.c.version, tokenomics_versions.c.settings)
            .order_by(tokenomics_versions.c.version.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return 0, TokenomicsSettings()
    return int(row.version), settings_from_json(dict(row.settings))


async def adopt_tokenomics(conn: AsyncConnection, settings: TokenomicsSettings, source: str) -> int:
    """Record new settings for every later sale; returns their version number."""
    version, _ = await tokenomics_in_force(conn)
    await conn.execute(
        insert(tokenomics_versions).values(
            version=version + 1, settings=settings_to_json(settings), source=source
        )
    )
    return version + 1

"""Idempotency-Key for writes a client may retry.

The key row is claimed in its own short transaction ('in_flight'), so a concurrent
duplicate sees it at once and gets 409 instead of waiting. The work and the stored
response commit together in the caller's transaction, so a stored response always
matches what happened. A failed attempt releases the key; an attempt that died
mid-flight is taken over after `in_flight_seconds`.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.adapters.database import Database
from hotpot.domain.errors import Conflict, Invalid, Malformed, Unavailable
from hotpot.http.tables import idempotency_keys

MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: bytes


@dataclass(frozen=True)
class Claim:
    scope: str
    key: str

    async def complete(self, conn: AsyncConnection, status_code: int, body: bytes) -> None:
        """Store the response inside the transaction that did the work."""
        await conn.execute(
            update(idempotency_keys)
            .where(idempotency_keys.c.scope == self.scope, idempotency_keys.c.key == self.key)
            .values(state="done", status_code=status_code, response_body=body)
        )


def request_fingerprint(method: str, path: str, body: Any) -> bytes:
    return hashlib.sha256(orjson.dumps([method, path, body], option=orjson.OPT_SORT_KEYS)).digest()


def validate_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise Malformed(
            "invalid_idempotency_key",
            f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable characters",
        )
    return key


async def claim(
    db: Database, scope: str, key: str, fingerprint: bytes, in_flight_seconds: int
) -> Claim | StoredResponse:
    """Claim `key` for this request, or return the response stored by an earlier one."""
    key = validate_key(key)
    async with db.transaction() as conn:
        inserted = await conn.execute(
            pg_insert(idempotency_keys)
            .values(scope=scope, key=key, request_hash=fingerprint, state="in_flight")
            .on_conflict_do_nothing()
            .returning(idempotency_keys.c.key)
        )
        if inserted.first() is not None:
            return Claim(scope, key)
        row = (
            (
                await conn.execute(
                    select(idempotency_keys)
                    .where(idempotency_keys.c.scope == scope, idempotency_keys.c.key == key)
                    .with_for_update()
                )
            )
            .mappings()
            .first()
        )
        if row is None:  # released by a failed attempt between our two statements
            raise Conflict("idempotency_in_flight", "a request with this key is in progress")
        if row["request_hash"] != fingerprint:
            raise Invalid(
                "idempotency_key_reused",
                "this Idempotency-Key was used with a different request body",
            )
        if row["state"] == "done":
            return StoredResponse(row["status_code"], row["response_body"])
        stale = datetime.now(UTC) - timedelta(seconds=in_flight_seconds)
        if row["created_at"] > stale:
            raise Conflict("idempotency_in_flight", "a request with this key is in progress")
        await conn.execute(
            update(idempotency_keys)
            .where(idempotency_keys.c.scope == scope, idempotency_keys.c.key == key)
            .values(created_at=datetime.now(UTC))
        )
        return Claim(scope, key)


async def release(db: Database, claimed: Claim) -> None:
    """Forget a claim whose request failed, so the client can retry with the same key."""
    async with db.transaction() as conn:
        await conn.execute(
            delete(idempotency_keys).where(
                idempotency_keys.c.scope == claimed.scope,
                idempotency_keys.c.key == claimed.key,
                idempotency_keys.c.state == "in_flight",
            )
        )


# Releases that could not reach the database, retried until it is back (kept referenced).
_PENDING_RELEASES: set[asyncio.Task[None]] = set()
RELEASE_RETRY_SECONDS = 0.25


async def _release_when_back(db: Database, claimed: Claim, within: float) -> None:
    """Retry a release until the database answers, so a retried request is not 409."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        await asyncio.sleep(RELEASE_RETRY_SECONDS)  # a retry cadence, not a wait for a result
        try:
            await release(db, claimed)
        except Unavailable:
            continue
        return


async def release_or_defer(db: Database, claimed: Claim, within: float) -> None:
    """Release now; when the database is down, keep retrying in the background."""
    try:
        await release(db, claimed)
    except Unavailable:
        task = asyncio.get_running_loop().create_task(_release_when_back(db, claimed, within))
        _PENDING_RELEASES.add(task)
        task.add_done_callback(_PENDING_RELEASES.discard)


Work = Callable[[AsyncConnection], Awaitable[tuple[int, bytes]]]


async def run_once(
    db: Database,
    *,
    scope: str,
    key: str | None,
    fingerprint: bytes,
    in_flight_seconds: int,
    work: Work,
) -> tuple[int, bytes]:
    """Run `work` in one transaction, at most once per (scope, key); replays get its answer.

    Without a key the work simply runs. With one, the answer is stored in the same
    transaction as the work; a failure releases the key so the client may retry.
    """
    claimed: Claim | None = None
    if key is not None:
        outcome = await claim(db, scope, key, fingerprint, in_flight_seconds)
        if isinstance(outcome, StoredResponse):
            return outcome.status_code, outcome.body
        claimed = outcome
    try:
        async with db.transaction() as conn:
            status, body = await work(conn)
            if claimed is not None:
                await claimed.complete(conn, status, body)
    except BaseException:
        if claimed is not None:
            await release_or_defer(db, claimed, in_flight_seconds)
        raise
    return status, body

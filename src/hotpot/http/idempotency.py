"""Idempotency-Key for writes a client may retry.

The key row is claimed, the work done and the response stored in ONE transaction (one
round trip for the claim): a stored response always matches what happened, and a failed
or interrupted attempt leaves nothing behind (its rollback is the release), so a retry is
never refused for a key that a dead attempt held. A concurrent duplicate must not wait
for the first attempt: the claim takes a transaction-level advisory lock on the key with
`pg_try_advisory_xact_lock`, and a duplicate that cannot take it gets 409 at once.
Rows left 'in_flight' by the earlier two-transaction claim are taken over after
`in_flight_seconds`, as before.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hotpot.adapters.database import Database
from hotpot.domain.errors import Conflict, Invalid, Malformed
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


# The advisory lock space of idempotency keys (the two-int form, apart from the bigint
# locks others take) and, within it, a 32-bit hash of (scope, key) computed by the
# server: a rare collision of two in-flight keys only answers 409 to one of them.
LOCK_SPACE = 0x1D3

_CLAIM = text(
    "WITH lock AS (SELECT pg_try_advisory_xact_lock(CAST(:space AS integer),"
    " hashtext(CAST(:scope AS text) || ' ' || CAST(:key AS text))) AS got),"
    " ins AS (INSERT INTO idempotency_keys (scope, key, request_hash, state)"
    " SELECT CAST(:scope AS text), CAST(:key AS text), CAST(:hash AS bytea), 'in_flight'"
    " FROM lock WHERE lock.got ON CONFLICT DO NOTHING RETURNING 1)"
    " SELECT (SELECT got FROM lock), EXISTS (SELECT 1 FROM ins)"
)


async def claim(
    conn: AsyncConnection, scope: str, key: str, fingerprint: bytes, in_flight_seconds: int
) -> Claim | StoredResponse:
    """Claim `key` in the caller's transaction, or return the response stored earlier."""
    key = validate_key(key)
    params = {
        "space": LOCK_SPACE,
        "scope": scope,
        "key": key,
        "hash": fingerprint,
    }
    got, inserted = (await conn.execute(_CLAIM, params)).one()
    if not got:
        raise Conflict("idempotency_in_flight", "a request with this key is in progress")
    if inserted:
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
    if row is None:  # deleted (expired) between our two statements: a retry claims it
        raise Conflict("idempotency_in_flight", "a request with this key is in progress")
    if row["request_hash"] != fingerprint:
        raise Invalid(
            "idempotency_key_reused",
            "this Idempotency-Key was used with a different request body",
        )
    if row["state"] == "done":
        return StoredResponse(row["status_code"], row["response_body"])
    # 'in_flight' is only ever committed by the earlier two-transaction claim.
    stale = datetime.now(UTC) - timedelta(seconds=in_flight_seconds)
    if row["created_at"] > stale:
        raise Conflict("idempotency_in_flight", "a request with this key is in progress")
    await conn.execute(
        update(idempotency_keys)
        .where(idempotency_keys.c.scope == scope, idempotency_keys.c.key == key)
        .values(created_at=datetime.now(UTC))
    )
    return Claim(scope, key)


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

    Without a key the work simply runs. With one, the claim, the work and the stored
    answer are one transaction; a failure rolls the claim back so the client may retry.
    """
    async with db.transaction() as conn:
        claimed: Claim | None = None
        if key is not None:
            outcome = await claim(conn, scope, key, fingerprint, in_flight_seconds)
            if isinstance(outcome, StoredResponse):
                return outcome.status_code, outcome.body
            claimed = outcome
        status, body = await work(conn)
        if claimed is not None:
            await claimed.complete(conn, status, body)
    return status, body

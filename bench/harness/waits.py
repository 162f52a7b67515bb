"""Where the database's sessions spend a row's load: a sampler of `pg_stat_activity`.

A worker's CPU profile says where Python's time goes; it cannot say whether a request
waits on a row lock another transaction holds, or whether the database waits on the
worker between two statements of an open transaction. This samples the bench
database's client sessions every few milliseconds while a load runs and counts what each
is doing, so the average number of sessions in each state is the load's profile on the
database side (Little's law: sessions busy = rate x time each).
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections import Counter

import asyncpg

_SESSIONS = """
SELECT state, wait_event_type, wait_event, left(query, 1000) AS query FROM pg_stat_activity
WHERE datname = current_database() AND backend_type = 'client backend'
  AND pid <> pg_backend_pid()
"""


_WRITES = (
    # An upsert is an INSERT (its ON CONFLICT DO UPDATE SET names no table).
    ("INSERT INTO", re.compile(r"\bINSERT\s+INTO\s+(\w+)", re.IGNORECASE)),
    ("DELETE FROM", re.compile(r"\bDELETE\s+FROM\s+(\w+)", re.IGNORECASE)),
    # Not FOR UPDATE OF (a lock clause) nor DO UPDATE SET.
    ("UPDATE", re.compile(r"\bUPDATE\s+(?!SET\b|OF\b)(\w+)", re.IGNORECASE)),
    ("SELECT FROM", re.compile(r"\bFROM\s+(\w+)", re.IGNORECASE)),
)


def statement_name(query: str) -> str:
    """The kind and table of a statement: `UPDATE ledger_balances`, `INSERT INTO outbox`."""
    for kind, pattern in _WRITES:
        found = pattern.search(query)
        if found:
            return f"{kind} {found.group(1)}"
    return " ".join(query.split()[:3])


def state_of(state: str | None, wait_type: str | None, wait: str | None, query: str = "") -> str:
    """A readable name for one session's moment."""
    if state == "idle in transaction":
        # Between two statements of an open transaction: the database waits on the client.
        return "in a transaction, waiting for the worker"
    if state == "active":
        if wait_type is None:
            return "running a statement (CPU)"
        if wait_type == "Lock":
            return f"waiting for a lock ({wait}) in {statement_name(query)}"
        if wait_type == "Client":
            # An active session reading: a statement's next message is on its way.
            return "active, waiting for the worker"
        return f"waiting: {wait_type} {wait}"
    return "idle (no transaction)"


class WaitSampler:
    """Samples in a thread of its own from `start()` to `stop()`; `report()` sums up."""

    def __init__(self, database_url: str, every: float = 0.005) -> None:
        self.url = database_url
        self.every = every
        self.samples = 0
        self.counts: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> WaitSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        asyncio.run(self._sample())

    async def _sample(self) -> None:
        conn = await asyncpg.connect(self.url)
        try:
            while not self._stop.is_set():
                started = time.monotonic()
                for row in await conn.fetch(_SESSIONS):
                    self.counts[
                        state_of(
                            row["state"], row["wait_event_type"], row["wait_event"], row["query"]
                        )
                    ] += 1
                self.samples += 1
                await asyncio.sleep(max(0.0, self.every - (time.monotonic() - started)))
        finally:
            await conn.close()

    def report(self) -> str:
        """Average sessions in each state, busiest first (idle sessions last)."""
        if not self.samples:
            return "database sessions: no sample taken"
        lines = [f"database sessions, average over {self.samples} samples of pg_stat_activity:"]
        busy = {k: v for k, v in self.counts.items() if not k.startswith("idle")}
        total = sum(busy.values()) or 1
        for name, count in sorted(busy.items(), key=lambda kv: -kv[1]):
            lines.append(f"  {count / self.samples:6.2f}  ({count / total:6.1%})  {name}")
        idle = self.counts.get("idle (no transaction)", 0)
        lines.append(f"  {idle / self.samples:6.2f}            idle (no transaction)")
        return "\n".join(lines)

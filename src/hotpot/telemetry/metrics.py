"""Every Prometheus metric the service exports, defined in one place.

Names follow the DevOps guide's queries (`http_requests_total`,
`http_request_duration_seconds_bucket`). With several worker processes the
registry runs in prometheus-client's multiprocess mode: set
`PROMETHEUS_MULTIPROC_DIR` to an empty writable folder before the workers start
(`hotpot serve --workers N` does this itself) and `/metrics` aggregates all of them.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_left

from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.metrics_core import Metric

from hotpot.domain.tokenomics import Mint

# Buckets cover a fast JSON read (~1 ms) up to the guide's 1 s alert threshold and beyond.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _FlushBeforeCollect:
    """Registered ahead of the RED metrics: a read of the registry sees every request."""

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> list[Metric]:
        REQUESTS.flush()
        return []


REGISTRY.register(_FlushBeforeCollect())

# --- RED metrics (the guide's names) -------------------------------------------------
HTTP_REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests handled, by method, route template and status code.",
    ["method", "path", "status"],
)
HTTP_DURATION = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency by method and route template.",
    ["method", "path"],
    buckets=LATENCY_BUCKETS,
)

# A request's RED metrics reach the exported series at most this long after it.
FLUSH_SECONDS = 1.0


class RequestTally:
    """The RED metrics of this process's requests, tallied in dicts and exported in bulk.

    In multiprocess mode every `inc` and `observe` takes a lock and writes into a
    memory-mapped file (a histogram observation is two such writes), and `labels()` takes
    another lock: per request that cost more than the rest of the metrics path. A request
    now costs two dict updates; `flush` moves the tally into the Prometheus metrics (one
    write per series and bucket), at most FLUSH_SECONDS later from a timer on the event
    loop, before every /metrics answer and before any read of the default registry.
    Names, labels and buckets are unchanged.
    """

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str, str], int] = {}
        # (method, path) -> [sum of seconds, count per bucket (+Inf last)]
        self._durations: dict[tuple[str, str], tuple[list[float], list[int]]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._timer_loop: asyncio.AbstractEventLoop | None = None

    def record(self, method: str, path: str, status: int, seconds: float) -> None:
        key = (method, path, str(status))
        self._counts[key] = self._counts.get(key, 0) + 1
        tally = self._durations.get((method, path))
        if tally is None:
            tally = self._durations[(method, path)] = ([0.0], [0] * (len(LATENCY_BUCKETS) + 1))
        tally[0][0] += seconds
        # The bucket Histogram.observe picks: the first upper bound >= seconds.
        tally[1][bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self._schedule()

    def _schedule(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        if self._timer is not None and self._timer_loop is loop:
            return
        self._timer_loop = loop
        self._timer = loop.call_later(FLUSH_SECONDS, self.flush)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        counts, self._counts = self._counts, {}
        durations, self._durations = self._durations, {}
        for (method, path, status), count in counts.items():
            HTTP_REQUESTS.labels(method, path, status).inc(count)
        for (method, path), (total, buckets) in durations.items():
            child = HTTP_DURATION.labels(method, path)
            # What `observe` does, once per bucket instead of once per request.
            child._sum.inc(total[0])
            for index, count in enumerate(buckets):
                if count:
                    child._buckets[index].inc(count)


REQUESTS = RequestTally()


# --- business metrics ----------------------------------------------------------------
ORDERS_TRANSITIONS = Counter(
    "hotpot_order_transitions_total",
    "Orders entering a state (PENDING on creation, then each transition).",
    ["state"],
)
ORDERS_OPEN = Gauge(
    "hotpot_orders_open",
    "Orders currently in each open state (PENDING to READY).",
    ["state"],
    multiprocess_mode="max",
)
SALES = Counter(
    "hotpot_sales_total",
    "Purchases that minted tokens, by node and channel (order or walk-in).",
    ["node", "channel"],
)
SALES_AMOUNT = Counter(
    "hotpot_sales_amount_tetri_total",
    "Purchase volume in tetri, by node and channel.",
    ["node", "channel"],
)
TOKENS_MINTED = Counter(
    "hotpot_tokens_minted_units_total",
    "Token units minted by the purchase rule, by token (THP, SPOT).",
    ["token"],
)
RECEIPTS = Counter(
    "hotpot_receipts_total",
    "Walk-in receipts by outcome (issued, claimed, expired, locked).",
    ["outcome"],
)

# --- health of dependencies (exported as metrics, never as probe failures) ------------
DEPENDENCY_UP = Gauge(
    "hotpot_dependency_up",
    "1 when the dependency answered its last check, else 0.",
    ["dependency"],
    multiprocess_mode="max",
)
REPLICA_LAG = Gauge(
    "hotpot_replica_lag_seconds",
    "Replication lag of the read replica as seen from the replica.",
    multiprocess_mode="max",
)
OUTBOX_BACKLOG = Gauge(
    "hotpot_outbox_backlog",
    "Outbox rows not yet settled on chain.",
    multiprocess_mode="max",
)
OUTBOX_OLDEST_AGE = Gauge(
    "hotpot_outbox_oldest_age_seconds",
    "Age of the oldest unsettled outbox row (0 when empty).",
    multiprocess_mode="max",
)
SETTLEMENT_LAG = Gauge(
    "hotpot_settlement_lag_seconds",
    "Time between the newest settled row's creation and its settlement.",
    multiprocess_mode="max",
)
RECONCILIATION_DRIFT = Gauge(
    "hotpot_reconciliation_drift_units",
    "Absolute difference between ledger and chain, by token (0 when healthy).",
    ["token"],
    multiprocess_mode="max",
)
OWNERSHIP_SHARE = Gauge(
    "hotpot_ownership_share_bps",
    "Share of THP supply held by a party class, in basis points.",
    ["party"],
    multiprocess_mode="max",
)
RATE_LIMITED = Counter(
    "hotpot_rate_limited_total",
    "Requests refused with 429, by limit name.",
    ["limit"],
)


def record_sale(node_id: str, channel: str, amount_tetri: int, mint: Mint) -> None:
    """Business metrics of a purchase, recorded after the transaction that minted commits."""
    SALES.labels(node_id, channel).inc()
    SALES_AMOUNT.labels(node_id, channel).inc(amount_tetri)
    TOKENS_MINTED.labels("THP").inc(mint.st_total)
    TOKENS_MINTED.labels("SPOT").inc(mint.spot)

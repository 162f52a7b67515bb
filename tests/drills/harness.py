"""The drills' tools: API clients, a bounded load generator, invariant checks, Prometheus.

Everything talks to the running local stack (tools/stack/stack.py) the way its users do:
clients through nginx over TLS, operators through `hotpot` commands, PostgreSQL and
Prometheus through their own ports.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import ssl
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from stack import Stack, wait_until

PASSWORD = "drill-customer-password"  # drill-only customers of a throwaway stack
LOGIN_RETRIES = 12
# Business refusals a correct platform may answer under load; anything else is an error.
EXPECTED_REFUSALS = {"sold_out", "customer_cap_exceeded", "receipt_already_claimed"}
# The documented per-customer limits (RATE_LIMIT_ORDERS_PER_MINUTE, claims 20 a minute):
# the load stays under them, as a well-behaved app does.
PER_CUSTOMER_PER_MINUTE = {"order": 100, "claim": 16}
# When each customer last started each operation, shared by every load of the process:
# the server's limits count a customer's calls whichever load made them, so a load that
# starts right after another (the soak after its capacity probe) must see the first's.
_STARTS: dict[tuple[str, str], list[float]] = {}
_STARTS_LOCK = threading.Lock()


# --- clients --------------------------------------------------------------------------
def client(stack: Stack, timeout: float = 15) -> httpx.Client:
    trust = ssl.create_default_context(cafile=str(stack.cert_file))
    return httpx.Client(base_url=stack.https_url, verify=trust, timeout=timeout)


def _code(response: httpx.Response) -> str:
    with contextlib.suppress(ValueError, AttributeError):
        return str(response.json().get("code", ""))
    return ""


def login(http: httpx.Client, path: str, body: dict[str, str]) -> str:
    """Log in, waiting out the login rate limits (docs/access.md) when hit."""
    for _ in range(LOGIN_RETRIES):
        response = http.post(path, json=body)
        if response.status_code == 200:
            return str(response.json()["access_token"])
        if response.status_code in (429, 503):
            time.sleep(min(float(response.headers.get("Retry-After", "5")), 10))
            continue
        raise AssertionError(f"login {path} -> {response.status_code}: {response.text}")
    raise AssertionError(f"login {path} kept being refused")


@dataclass
class World:
    """The demo network of the stack, and drill customers of its own."""

    stack: Stack
    creds: dict[str, Any]
    customers: list[dict[str, str]]
    tokens: dict[str, str] = field(default_factory=dict)
    logged_in_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    TOKEN_MAX_AGE = 600.0  # access tokens live 900 s: renew well before

    @classmethod
    def create(cls, stack: Stack, customers: int = 4) -> World:
        creds = json.loads(stack.path("demo-credentials.json").read_text())
        file = stack.path("drill-customers.json")
        known: list[dict[str, str]] = json.loads(file.read_text()) if file.exists() else []
        with client(stack) as http:
            while len(known) < customers:
                email = f"drill-{uuid.uuid4().hex[:10]}@drills.hotpot"
                response = http.post(
                    "/api/v1/auth/register", json={"email": email, "password": PASSWORD}
                )
                assert response.status_code == 201, response.text
                known.append({"login": email, "password": PASSWORD})
        file.write_text(json.dumps(known))
        world = cls(stack, creds, known[:customers])
        world.refresh()
        world.stock_up()
        return world

    @property
    def node(self) -> str:
        return str(self.creds["nodes"]["OWNER"])

    @property
    def dishes(self) -> list[str]:
        return [str(d) for d in self.creds["dishes"]]

    def refresh(self, force: bool = False) -> None:
        with self.lock:
            if not force and time.monotonic() - self.logged_in_at < self.TOKEN_MAX_AGE:
                return
            tokens = {}
            with client(self.stack) as http:
                tokens["owner"] = login(http, "/api/v1/auth/login", self.creds["owner"])
                chef = {k: self.creds["chef"][k] for k in ("login", "password")}
                tokens["chef"] = login(http, "/api/v1/auth/login", chef)
                till = self.creds["terminals"]["Tbilisi"]
                tokens["terminal"] = login(
                    http,
                    "/api/v1/auth/terminal",
                    {"terminal_id": till["terminal_id"], "secret": till["secret"]},
                )
                for i, customer in enumerate(self.customers):
                    tokens[f"customer-{i}"] = login(http, "/api/v1/auth/login", customer)
            self.tokens = tokens
            self.logged_in_at = time.monotonic()

    def auth(self, role: str) -> dict[str, str]:
        self.refresh()
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def stock_up(self, portions: int = 100_000) -> None:
        with client(self.stack) as http:
            for dish in self.dishes:
                response = http.put(
                    f"/api/v1/nodes/{self.node}/availability/{dish}",
                    json={"portions": portions},
                    headers=self.auth("owner"),
                )
                assert response.status_code == 200, response.text


# --- the load generator ---------------------------------------------------------------
@dataclass
class Stats:
    """Every request and every client operation of one load run, by outcome."""

    requests: Counter[str] = field(default_factory=Counter)
    operations: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    retries: int = 0
    without_retry_after: int = 0
    acknowledged_orders: set[str] = field(default_factory=set)
    acknowledged_sales: set[str] = field(default_factory=set)
    completed_orders: set[str] = field(default_factory=set)
    claims: int = 0
    started: float = field(default_factory=time.monotonic)
    ended: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    # (monotonic time, outcome) of every request, to see when errors happened.
    timeline: list[tuple[float, str]] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    server_errors_by_method: Counter[str] = field(default_factory=Counter)

    def record(self, outcome: str, seconds: float = 0.0) -> None:
        with self.lock:
            self.requests[outcome] += 1
            self.timeline.append((time.monotonic(), outcome))
            self.latencies.append(seconds)

    def latency(self, quantile: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(int(len(ordered) * quantile), len(ordered) - 1)] if ordered else 0.0

    def finish(self, operation: str, ok: bool, detail: str = "") -> None:
        with self.lock:
            self.operations[f"{operation} {'ok' if ok else 'FAILED'}"] += 1
            if not ok:
                self.failures.append(f"{operation}: {detail}")

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    @property
    def failed_operations(self) -> int:
        return sum(n for k, n in self.operations.items() if k.endswith("FAILED"))

    def count(self, pattern: str) -> int:
        return sum(n for k, n in self.requests.items() if re.fullmatch(pattern, k))

    @property
    def server_errors(self) -> int:
        return self.count(r"5\d\d")

    @property
    def rate(self) -> float:
        return self.total / max((self.ended or time.monotonic()) - self.started, 1e-9)

    def summary(self) -> str:
        by_status = ", ".join(f"{k}: {n}" for k, n in sorted(self.requests.items()))
        ops = ", ".join(f"{k}: {n}" for k, n in sorted(self.operations.items()))
        return (
            f"{self.total} requests ({self.rate:.1f}/s, p50 {self.latency(0.5) * 1000:.0f} ms, "
            f"p95 {self.latency(0.95) * 1000:.0f} ms; {by_status}); client retries "
            f"{self.retries}; operations: {ops}; orders acknowledged "
            f"{len(self.acknowledged_orders)}, completed {len(self.completed_orders)}; sales "
            f"{len(self.acknowledged_sales)}; claims {self.claims}"
        )


class Load:
    """A bounded client load: mixed reads, orders to COMPLETED, till sales, claims.

    `threads` clients share a request budget of `rate` requests a second. Failed POSTs
    (a 5xx, or no answer) are retried once with the same Idempotency-Key / terminal sale
    id, after the Retry-After the server asked for, as docs/domain.md tells clients to.
    GETs are not retried by the client (nginx retries them on another instance).
    """

    def __init__(self, world: World, rate: float = 8.0, threads: int = 4) -> None:
        self.world = world
        self.rate = rate
        self.threads = threads
        self.stats = Stats()
        self._stop = threading.Event()
        self._workers: list[threading.Thread] = []
        self._receipts: list[tuple[str, str]] = []
        self._next_slot = time.monotonic()
        self._slot_lock = threading.Lock()

    def _allowed(self, customer: str, operation: str) -> bool:
        """Whether `customer` may start `operation` now without passing its minute limit."""
        now = time.monotonic()
        with _STARTS_LOCK:
            recent = [t for t in _STARTS.get((customer, operation), []) if now - t < 60]
            if len(recent) >= PER_CUSTOMER_PER_MINUTE[operation]:
                _STARTS[(customer, operation)] = recent
                return False
            recent.append(now)
            _STARTS[(customer, operation)] = recent
            return True

    # pacing: one shared schedule of request slots
    def _pace(self) -> bool:
        with self._slot_lock:
            slot = self._next_slot = max(self._next_slot + 1 / self.rate, time.monotonic())
        delay = slot - time.monotonic()
        return not self._stop.wait(delay) if delay > 0 else not self._stop.is_set()

    def _send(
        self, http: httpx.Client, method: str, path: str, role: str, **kwargs: Any
    ) -> httpx.Response | None:
        """One request, paced and recorded; a POST that fails is retried once."""
        attempts = 2 if method == "POST" else 1
        extra = kwargs.pop("headers", {})
        response: httpx.Response | None = None
        for attempt in range(attempts):
            if attempt == 0 and not self._pace():
                return None
            headers = {**self.world.auth(role), **extra}
            sent = time.monotonic()
            try:
                response = http.request(method, path, headers=headers, **kwargs)
                outcome = str(response.status_code)
            except httpx.TransportError as exc:
                response, outcome = None, f"transport {type(exc).__name__}"
            self.stats.record(outcome, time.monotonic() - sent)
            if response is not None and response.status_code >= 500:
                with self.stats.lock:
                    self.stats.server_errors_by_method[method] += 1
            if (
                response is not None
                and response.status_code == 503
                and "retry-after" not in response.headers
            ):
                with self.stats.lock:
                    self.stats.without_retry_after += 1
            failed = response is None or response.status_code >= 500
            if not failed or attempt == attempts - 1:
                return response
            with self.stats.lock:
                self.stats.retries += 1
            wait = 1.0
            if response is not None:
                with contextlib.suppress(ValueError):
                    wait = float(response.headers.get("Retry-After", "1"))
            self._stop.wait(min(wait, 3.0))
        return response

    def _outcome(self, response: httpx.Response | None, *ok: int) -> tuple[bool, str]:
        if response is None:
            return False, "no answer"
        if response.status_code in ok:
            return True, ""
        if _code(response) in EXPECTED_REFUSALS:
            return True, ""
        return False, f"{response.status_code} {response.text[:160]}"

    # the operations
    def read(self, http: httpx.Client, customer: str) -> None:
        path = random.choice(
            [
                f"/api/v1/menu?node_id={self.world.node}",
                "/api/v1/nodes",
                "/api/v1/pool",
                "/api/v1/wallets/me",
                "/api/v1/orders?limit=5",
            ]
        )
        response = self._send(http, "GET", path, customer)
        if response is not None or not self._stop.is_set():
            self.stats.finish("read", *self._outcome(response, 200, 304))

    def order(self, http: httpx.Client, customer: str) -> None:
        body = {
            "node_id": self.world.node,
            "lines": [{"item_id": random.choice(self.world.dishes), "quantity": 1}],
        }
        key = {"Idempotency-Key": f"drill-{uuid.uuid4()}"}
        response = self._send(http, "POST", "/api/v1/orders", customer, json=body, headers=key)
        if response is None and self._stop.is_set():
            return  # the load ended before this order was sent
        ok, detail = self._outcome(response, 200, 201)
        if not ok or response is None or response.status_code not in (200, 201):
            self.stats.finish("order", ok, detail)
            return
        order_id = str(response.json()["id"])
        with self.stats.lock:
            self.stats.acknowledged_orders.add(order_id)
        for status in ("CONFIRMED", "IN_PROGRESS", "READY", "COMPLETED"):
            if not self._transition(http, order_id, status):
                return
        with self.stats.lock:
            self.stats.completed_orders.add(order_id)
        self.stats.finish("order", True)

    def _transition(self, http: httpx.Client, order_id: str, status: str) -> bool:
        path = f"/api/v1/orders/{order_id}/transitions"
        response = self._send(http, "POST", path, "chef", json={"status": status})
        if response is not None and response.status_code == 200:
            return True
        if response is not None and _code(response) == "invalid_transition":
            # The first attempt may have committed before its answer was lost.
            current = http.get(f"/api/v1/orders/{order_id}", headers=self.world.auth("chef"))
            if current.status_code == 200 and current.json()["status"] == status:
                return True
        if not self._stop.is_set() or response is not None:
            self.stats.finish(f"order {status}", False, self._outcome(response, 200)[1])
        return False

    def sale(self, http: httpx.Client) -> None:
        body = {
            "terminal_sale_id": f"drill/{uuid.uuid4().hex}",
            "lines": [{"item_id": random.choice(self.world.dishes), "quantity": 1}],
        }
        response = self._send(http, "POST", "/api/v1/sales", "terminal", json=body)
        ok, detail = self._outcome(response, 200, 201)
        if response is not None and response.status_code in (200, 201):
            sale = response.json()
            with self.stats.lock:
                self.stats.acknowledged_sales.add(str(sale["sale_id"]))
                if sale.get("activation_code"):
                    self._receipts.append((str(sale["receipt_id"]), sale["activation_code"]))
        if response is not None or not self._stop.is_set():
            self.stats.finish("sale", ok, detail)

    def claim(self, http: httpx.Client, customer: str) -> None:
        with self.stats.lock:
            if not self._receipts:
                return
            receipt, code = self._receipts.pop(0)
        path = f"/api/v1/receipts/{receipt}/claim"
        response = self._send(http, "POST", path, customer, json={"code": code})
        ok, detail = self._outcome(response, 200)
        if response is not None and response.status_code == 200:
            with self.stats.lock:
                self.stats.claims += 1
        if response is not None or not self._stop.is_set():
            self.stats.finish("claim", ok, detail)

    def _client_loop(self, index: int) -> None:
        customer = f"customer-{index % len(self.world.customers)}"
        with client(self.world.stack) as http:
            while not self._stop.is_set():
                pick = random.random()
                if pick < 0.7 and pick >= 0.45 and self._allowed(customer, "order"):
                    self.order(http, customer)
                elif 0.7 <= pick < 0.9:
                    self.sale(http)
                elif pick >= 0.9 and self._allowed(customer, "claim"):
                    self.claim(http, customer)
                else:
                    self.read(http, customer)

    def start(self) -> Load:
        self.world.refresh()
        for index in range(self.threads):
            worker = threading.Thread(target=self._client_loop, args=(index,), daemon=True)
            worker.start()
            self._workers.append(worker)
        return self

    def stop(self) -> Stats:
        self._stop.set()
        for worker in self._workers:
            worker.join(60)
        self.stats.ended = time.monotonic()
        return self.stats


@contextlib.contextmanager
def under_load(world: World, rate: float = 8.0, threads: int = 4) -> Iterator[Stats]:
    load = Load(world, rate, threads).start()
    try:
        yield load.stats
    finally:
        load.stop()


# --- checks ---------------------------------------------------------------------------
def sql(stack: Stack, query: str, *params: Any, name: str = "postgres") -> list[tuple[Any, ...]]:
    with psycopg.connect(stack.database_url(name), connect_timeout=5) as conn:
        return list(conn.execute(query, params).fetchall())


def scalar(stack: Stack, query: str, *params: Any, name: str = "postgres") -> Any:
    return sql(stack, query, *params, name=name)[0][0]


LEDGER_INVARIANTS = {
    "balances equal the entries": """
        with moves as (
            select to_holder as holder, token, units from ledger_entries
             where to_holder is not null
            union all
            select from_holder, token, -units from ledger_entries where from_holder is not null
        ), summed as (select holder, token, sum(units) as units from moves group by 1, 2)
        select count(*) from summed s
          full join ledger_balances b on b.holder = s.holder and b.token = s.token
         where coalesce(s.units, 0) <> coalesce(b.units, 0)""",
    "supply equals mints less burns": """
        with net as (
            select token, sum(case when from_holder is null then units else 0 end)
                        - sum(case when to_holder is null then units else 0 end) as units
              from ledger_entries group by token)
        select count(*) from net n full join ledger_supply s on s.token = n.token
         where coalesce(n.units, 0) <> coalesce(s.units, 0)""",
    "every order has its lines": """
        select count(*) from orders o
         where not exists (select 1 from order_lines l where l.order_id = o.id)""",
    "every sale has its receipt": """
        select count(*) from sales s
         where not exists (select 1 from receipts r where r.sale_id = s.id)""",
    "every purchase minted once": """
        select count(*) from (select ref_kind, ref_id from purchases
                               group by 1, 2 having count(*) > 1) doubled""",
}


def ledger_violations(stack: Stack) -> dict[str, int]:
    return {name: int(scalar(stack, query)) for name, query in LEDGER_INVARIANTS.items()}


def backlog(stack: Stack) -> int:
    return int(scalar(stack, "select count(*) from outbox where settled_at is null"))


def wait_settled(stack: Stack, timeout: float = 120) -> float:
    """Seconds until the outbox is empty (raises when it is not within `timeout`)."""
    start = time.monotonic()
    assert wait_until(lambda: backlog(stack) == 0, timeout, 1.0), (
        f"outbox still holds {backlog(stack)} unsettled rows after {timeout:.0f} s"
    )
    return time.monotonic() - start


@dataclass
class Reconciliation:
    drift: dict[str, int]
    output: str

    @property
    def total(self) -> int:
        return sum(self.drift.values())


def reconcile(stack: Stack) -> Reconciliation:
    """`hotpot reconcile`, as an operator runs it, and the drift it printed per token."""
    try:
        output = stack.hotpot("reconcile", timeout=300)
    except Exception as exc:  # a non-zero exit is drift (or an unreachable chain)
        output = str(exc)
    drift = {
        m[0]: int(m[1]) for m in re.findall(r"^(\w+): chain supply .*drift (-?\d+)", output, re.M)
    }
    assert drift, f"no drift figures in `hotpot reconcile`'s output:\n{output}"
    return Reconciliation(drift, output)


def acknowledged_orders_stored_once(stack: Stack, stats: Stats) -> tuple[int, int]:
    """(acknowledged orders missing from the database, idempotency keys with two orders)."""
    ids = sorted(stats.acknowledged_orders)
    if not ids:
        return 0, 0
    found = int(scalar(stack, "select count(*) from orders where id = any(%s::uuid[])", ids))
    doubled = int(
        scalar(
            stack,
            "select count(*) from (select key from idempotency_keys where key like 'drill-%%' "
            "group by scope, key having count(*) > 1) d",
        )
    )
    return len(ids) - found, doubled


def relay_nonce(stack: Stack) -> int:
    return int(
        stack._rpc(
            stack.url("chain"),
            "eth_getTransactionCount",
            [stack.secrets["RELAY_ADDRESS"], "latest"],
        ),
        16,
    )


def settled_batches(stack: Stack) -> int:
    return int(scalar(stack, "select count(*) from settlement_batches where tx_hash is not null"))


# --- Prometheus -----------------------------------------------------------------------
class Prometheus:
    def __init__(self, stack: Stack) -> None:
        self.base = stack.url("prometheus")

    def alerts(self) -> list[dict[str, Any]]:
        answer = httpx.get(f"{self.base}/api/v1/alerts", timeout=5).json()
        return list(answer["data"]["alerts"])

    def states(self, name: str, **labels: str) -> set[str]:
        return {
            alert["state"]
            for alert in self.alerts()
            if alert["labels"].get("alertname") == name
            and all(alert["labels"].get(k) == v for k, v in labels.items())
        }

    def query(self, expr: str) -> list[dict[str, Any]]:
        answer = httpx.get(f"{self.base}/api/v1/query", params={"query": expr}, timeout=5).json()
        return list(answer["data"]["result"])

    def wait_for_alert(
        self, name: str, states: set[str], timeout: float, **labels: str
    ) -> tuple[bool, float, set[str]]:
        """Whether alert `name` reached one of `states` within `timeout`, when, and how."""
        start = time.monotonic()
        seen: set[str] = set()

        def reached() -> bool:
            seen.clear()
            seen.update(self.states(name, **labels))
            return bool(seen & states)

        ok = wait_until(reached, timeout, 2.0)
        return ok, time.monotonic() - start, set(seen)

    def wait_resolved(self, name: str, timeout: float, **labels: str) -> tuple[bool, float]:
        start = time.monotonic()
        ok = wait_until(lambda: not self.states(name, **labels), timeout, 2.0)
        return ok, time.monotonic() - start


def alert_relay_notifications(stack: Stack, name: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{stack.url('alert-relay')}/alerts", timeout=5).json()
    return [
        record
        for record in answer
        if any(a["labels"].get("alertname") == name for a in record["payload"].get("alerts", []))
    ]


def rss_kib(pid: int) -> int:
    """Resident memory of a process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def report(title: str, **figures: Any) -> None:
    """Print a drill's figures in one block (./dev test-drills runs pytest with -s)."""
    lines = [f"\n=== drill: {title}"] + [f"    {k}: {v}" for k, v in figures.items()]
    print("\n".join(lines), flush=True)


def timed(check: Callable[[], bool], timeout: float, interval: float = 0.2) -> float | None:
    """Seconds until `check` held, or None when it did not within `timeout`."""
    start = time.monotonic()
    return time.monotonic() - start if wait_until(check, timeout, interval) else None


def socket_inodes(pid: int) -> set[str]:
    """The inodes of the sockets process `pid` has open."""
    inodes = set()
    with contextlib.suppress(OSError):  # the process ended meanwhile: it holds nothing
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    return inodes


def port_sockets(port: int) -> list[tuple[str, str]]:
    """(state, inode) of every TCP socket whose local port is `port` (states in hex, as
    /proc/net/tcp lists them: 01 established, 06 TIME_WAIT)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port:
                    found.append((fields[3], fields[9]))
    return found


def port_inodes(port: int) -> set[str]:
    """The inodes of the live sockets whose local port is `port`.

    A closed connection lingers in TIME_WAIT for 60 s with inode 0 and may share the local
    port of a live one: taking the first line of that port could hide the live socket for
    a minute (the relay drill then saw "no relay leads" while a relay led)."""
    return {inode for _state, inode in port_sockets(port) if inode != "0"}

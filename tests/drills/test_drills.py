"""Fault drills of the local stack under client load (issue 12's table).

Each drill runs the bounded load of harness.Load through nginx, does its fault to real
servers, prints its figures, and ends with the settlement drained, `hotpot reconcile`
at drift 0 and the ledger invariants holding. A drill asserts everything it promises at
the end, after printing, so its figures are shown whether it passes or not.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from stack import API_NAMES, PG_BIN, ROOT, WORKER_NAMES, Stack, _http, port_free, wait_until

from tests.drills.harness import (
    Prometheus,
    Stats,
    World,
    acknowledged_orders_stored_once,
    client,
    ledger_violations,
    port_inodes,
    reconcile,
    relay_nonce,
    report,
    rss_kib,
    scalar,
    settled_batches,
    socket_inodes,
    sql,
    timed,
    under_load,
    wait_settled,
)


@pytest.fixture(autouse=True)
def every_piece_running(stack: Stack) -> None:
    """Each drill starts from a whole stack: what an earlier drill left dead is restarted
    (that drill already failed for it)."""
    stack.start(*stack.pieces)


class Verdict:
    """The promises of one drill: printed with its figures, then asserted together."""

    def __init__(self, stack: Stack, title: str) -> None:
        self.stack = stack
        self.title = title
        self.figures: dict[str, Any] = {}
        self.broken: list[str] = []

    def figure(self, **figures: Any) -> None:
        self.figures.update(figures)

    def expect(self, ok: bool, promise: str) -> None:
        if not ok:
            self.broken.append(promise)

    def clients(
        self, stats: Stats, *, allow_503: bool = False, post_retry_covers_5xx: bool = False
    ) -> None:
        self.figure(load=stats.summary())
        if stats.server_errors:
            self.figure(server_errors_by_method=dict(stats.server_errors_by_method))
        if stats.failures:
            self.figure(first_failures=stats.failures[:5])
        transport = stats.count(r"transport .*")
        if allow_503:
            self.expect(stats.count(r"5\d\d") == stats.count("503"), "no 5xx other than 503")
            self.expect(stats.without_retry_after == 0, "every 503 carries Retry-After")
        elif post_retry_covers_5xx:
            # The table's promise: GETs retried by nginx, POSTs by the client's one retry.
            self.expect(stats.failed_operations == 0, "0 failed client operations")
            gets = stats.server_errors_by_method["GET"]
            self.expect(gets == 0, f"no GET answered 5xx (nginx retries them): {gets}")
        else:
            self.expect(stats.failed_operations == 0, "0 failed client operations")
            self.expect(stats.server_errors == 0, "0 5xx seen by clients")
        self.expect(transport == 0, "no dropped connection")
        missing, doubled = acknowledged_orders_stored_once(self.stack, stats)
        self.figure(acknowledged_orders_missing=missing, idempotency_keys_doubled=doubled)
        self.expect(missing == 0, "every acknowledged order exists")
        self.expect(doubled == 0, "no order stored twice")

    def settled_and_reconciled(self, stack: Stack, drain_within: float = 120) -> None:
        try:
            self.figure(backlog_drained_in_s=round(wait_settled(stack, drain_within), 1))
        except AssertionError as exc:
            self.broken.append(str(exc))
        drift = reconcile(stack)
        self.figure(reconcile_drift=drift.drift)
        self.expect(drift.total == 0, f"`hotpot reconcile` drift 0 (got {drift.drift})")
        violations = ledger_violations(stack)
        self.figure(ledger_invariants={k: ("ok" if v == 0 else v) for k, v in violations.items()})
        self.expect(not any(violations.values()), f"ledger invariants hold: {violations}")

    def close(self) -> None:
        died = [name for name in self.stack.pieces if not self.stack.running(name)]
        self.figure(pieces_not_running_after=died or "none")
        self.expect(not died, f"every piece of the stack still runs (not: {died})")
        report(self.title, **self.figures, verdict="PASS" if not self.broken else self.broken)
        # The failures themselves go into the assertion too: CI keeps only a log's tail.
        seen = {
            k: self.figures[k]
            for k in ("server_errors_by_method", "first_failures")
            if k in self.figures
        }
        assert not self.broken, (
            f"{self.title}: " + "; ".join(self.broken) + (f" {seen}" if seen else "")
        )


def _warm(stats: Stats, requests: int = 20, timeout: float = 60) -> None:
    assert wait_until(lambda: stats.total >= requests, timeout, 0.2), "the load did not start"


def _target(stack: Stack, name: str) -> str:
    return f"127.0.0.1:{stack.port(name)}"


# --- 1. an API process SIGKILLed ------------------------------------------------------
def test_api_instance_sigkill_under_load(
    stack: Stack, world: World, prometheus: Prometheus
) -> None:
    verdict = Verdict(stack, "SIGKILL one of the three API processes under load, restart it")
    victim = random.choice(API_NAMES)
    with under_load(world) as stats:
        _warm(stats)
        stack.stop(victim, signal.SIGKILL)
        killed_at = time.monotonic()
        seen, after, states = prometheus.wait_for_alert(
            "ApiInstanceDown",
            {"pending", "firing"},
            90,
            instance=_target(stack, f"{victim}-metrics"),
        )
        verdict.figure(
            victim=victim,
            alert_while_down=f"{sorted(states) or 'none'} after {after:.0f} s",
        )
        verdict.expect(seen, "ApiInstanceDown pending or firing while the instance is down")
        stack.start(victim)
        verdict.figure(down_for_s=round(time.monotonic() - killed_at, 1))
        resumed = stats.total
        wait_until(lambda: stats.total >= resumed + 60, 30, 0.5)
    resolved, in_s = prometheus.wait_resolved(
        "ApiInstanceDown", 120, instance=_target(stack, f"{victim}-metrics")
    )
    verdict.figure(alert_resolved_after_restart=f"{resolved} ({in_s:.0f} s)")
    verdict.expect(resolved, "ApiInstanceDown resolved after the restart")
    verdict.clients(stats, post_retry_covers_5xx=True)
    verdict.settled_and_reconciled(stack)
    verdict.close()


# --- 2. Redis killed for 30 s ---------------------------------------------------------
def test_redis_killed_30s(stack: Stack, world: World) -> None:
    verdict = Verdict(stack, "Redis killed 30 s")
    menu_ok = menu_bad = 0
    with under_load(world) as stats, client(stack) as http:
        _warm(stats)
        stack.stop("redis", signal.SIGKILL)
        down_until = time.monotonic() + 30
        # Without Redis each instance limits on its own: 40 bad logins for one name (limit
        # 10 a minute, three instances) must still meet 429s.
        burst = LoginBurst(stack, attempts=40, threads=4).start()
        while time.monotonic() < down_until:
            menu = http.get(f"/api/v1/menu?node_id={world.node}")
            if menu.status_code == 200 and menu.json().get("items"):
                menu_ok += 1
            else:
                menu_bad += 1
            time.sleep(0.5)  # a menu request every half second through the outage
        burst.join()
        stack.start("redis")
        resumed = stats.total
        wait_until(lambda: stats.total >= resumed + 40, 30, 0.5)
    verdict.figure(
        menu_while_down=f"{menu_ok} served, {menu_bad} not",
        bad_logins=burst.summary(),
    )
    verdict.expect(menu_ok > 0 and menu_bad == 0, "the menu is served while Redis is down")
    verdict.expect(burst.limited > 0, "the login rate limit is enforced while Redis is down")
    verdict.clients(stats)
    verdict.settled_and_reconciled(stack)
    verdict.close()


class LoginBurst:
    """Bad logins for one made-up name from several threads, counting the 429s."""

    def __init__(self, stack: Stack, attempts: int, threads: int) -> None:
        self.stack = stack
        self.name = f"nobody-{random.randrange(10**9)}@drills.hotpot"
        self.left = attempts
        self.statuses: list[int] = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _take(self) -> bool:
        with self.lock:
            self.left -= 1
            return self.left >= 0

    def _run(self) -> None:
        with client(self.stack) as http:
            while self._take():
                body = {"login": self.name, "password": "x" * 12}
                status = http.post("/api/v1/auth/login", json=body).status_code
                with self.lock:
                    self.statuses.append(status)

    def start(self) -> LoginBurst:
        for thread in self.threads:
            thread.start()
        return self

    def join(self) -> None:
        for thread in self.threads:
            thread.join(120)

    @property
    def limited(self) -> int:
        return self.statuses.count(429)

    def summary(self) -> str:
        first = self.statuses.index(429) + 1 if self.limited else None
        counts = ", ".join(f"{s}: {self.statuses.count(s)}" for s in sorted(set(self.statuses)))
        return f"{len(self.statuses)} sent ({counts}); first 429 at attempt {first}"


# --- 3. one chain RPC endpoint down ---------------------------------------------------
def test_one_chain_rpc_endpoint_down(stack: Stack, world: World) -> None:
    verdict = Verdict(stack, "one chain RPC endpoint down")
    with under_load(world) as stats:
        _warm(stats)
        before = settled_batches(stack)
        stack.stop("chain-rpc-a", signal.SIGKILL)
        down_until = time.monotonic() + 30
        moved = timed(lambda: settled_batches(stack) >= before + 2, 60, 1.0)
        remaining = down_until - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)  # the outage lasts 30 s however soon batches moved
        during = settled_batches(stack) - before
        stack.start("chain-rpc-a")
    verdict.figure(
        endpoint_down=stack.url("chain-rpc-a"),
        batches_settled_through_the_other=during,
        first_two_batches_in_s=None if moved is None else round(moved, 1),
    )
    verdict.expect(moved is not None, "settlement continues through the other endpoint")
    verdict.clients(stats)
    verdict.settled_and_reconciled(stack)
    verdict.close()


# --- 4. the chain node down 60 s ------------------------------------------------------
def test_chain_node_down_60s(stack: Stack, world: World, prometheus: Prometheus) -> None:
    verdict = Verdict(stack, "the chain node down 60 s")
    with under_load(world) as stats:
        _warm(stats)
        wait_settled(stack, 60)
        orders, sales = len(stats.acknowledged_orders), len(stats.acknowledged_sales)
        stack.stop("chain", signal.SIGKILL)
        down_until = time.monotonic() + 60
        seen, after, states = prometheus.wait_for_alert(
            "SettlementStalled", {"pending", "firing"}, 60
        )
        remaining = down_until - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)  # the outage itself lasts 60 s, alert or not
        committed = (
            len(stats.acknowledged_orders) - orders,
            len(stats.acknowledged_sales) - sales,
        )
        backlog_rows = int(scalar(stack, "select count(*) from outbox where settled_at is null"))
        stack.start("chain")
        stack._fund_relay()
        drained = timed(
            lambda: int(scalar(stack, "select count(*) from outbox where settled_at is null")) == 0,
            60,
            1.0,
        )
    verdict.figure(
        committed_while_down=f"{committed[0]} orders, {committed[1]} sales",
        backlog_at_return=backlog_rows,
        backlog_alert=f"{sorted(states) or 'none'} ({after:.0f} s)",
        drained_after_return_s=None if drained is None else round(drained, 1),
    )
    verdict.expect(
        committed[0] > 0 and committed[1] > 0, "orders and sales commit without the chain"
    )
    verdict.expect(seen, "the backlog alert (SettlementStalled) pending or firing")
    verdict.expect(drained is not None, "the backlog drains within 60 s of the chain's return")
    verdict.clients(stats)
    verdict.settled_and_reconciled(stack)
    verdict.close()


# --- 5. the leading relay SIGKILLed 10 times ------------------------------------------
RELAY_LOCK_WHERE = (
    "l.locktype = 'advisory' and l.granted and l.objsubid = 1 "
    "and ((l.classid::bigint << 32) | l.objid::bigint) = (%s::bigint & x'ffffffffffffffff'::bigint)"
)


def relay_lock_key(stack: Stack) -> int:
    from hotpot.settlement.relay import lock_key

    return lock_key(stack.secrets["RELAY_ADDRESS"])


def relay_lock_holders(stack: Stack) -> int:
    where = RELAY_LOCK_WHERE
    return int(
        scalar(stack, f"select count(*) from pg_locks l where {where}", relay_lock_key(stack))
    )


def relay_lock_sessions(stack: Stack) -> list[tuple[Any, ...]]:
    """The database sessions holding the relay's lock: (pid, client address, port, state)."""
    return sql(
        stack,
        "select a.pid, a.client_addr, a.client_port, a.state from pg_locks l "
        f"join pg_stat_activity a on a.pid = l.pid where {RELAY_LOCK_WHERE}",
        relay_lock_key(stack),
    )


def relay_leader(stack: Stack) -> str | None:
    """The worker whose database session holds the relay's advisory lock."""
    for _pid, _address, port, _state in relay_lock_sessions(stack):
        inodes = port_inodes(int(port))
        for name in WORKER_NAMES:
            pid = stack.pid(name)
            if inodes and pid and inodes & socket_inodes(pid):
                return name
    return None


def _no_leader(stack: Stack) -> str:
    """What the drill says when no worker leads: who holds the lock, what the workers logged."""
    holders = relay_lock_sessions(stack)
    logs = "\n".join(f"--- {n}:\n{stack.log_tail(n, 15)}" for n in WORKER_NAMES)
    return f"no relay leads; the lock's holders (pid, address, port, state): {holders}\n{logs}"


def test_leading_relay_sigkilled_10_times(stack: Stack, world: World) -> None:
    verdict = Verdict(stack, "the leading relay SIGKILLed 10 times at random moments")
    takeovers: list[float] = []
    two_leaders = 0
    nonce_before, batches_before = relay_nonce(stack), settled_batches(stack)
    with under_load(world) as stats:
        _warm(stats)
        for _ in range(10):
            leader = None
            assert wait_until(lambda: relay_leader(stack) is not None, 60, 0.5), _no_leader(stack)
            time.sleep(random.uniform(0.5, 6))  # a random moment of the leader's work
            leader = relay_leader(stack)
            if leader is None:
                continue
            standby = next(n for n in WORKER_NAMES if n != leader)
            stack.stop(leader, signal.SIGKILL)
            took = timed(lambda standby=standby: relay_leader(stack) == standby, 60, 0.2)
            if took is not None:
                takeovers.append(took)
            two_leaders += relay_lock_holders(stack) > 1
            stack.start(leader)
    verdict.figure(
        takeovers=len(takeovers),
        takeover_s=f"max {max(takeovers, default=0):.1f}, mean "
        f"{sum(takeovers) / max(len(takeovers), 1):.1f}",
        moments_with_two_lock_holders=two_leaders,
    )
    verdict.expect(len(takeovers) == 10, "the standby takes over after every kill")
    verdict.expect(two_leaders == 0, "never two relays holding the lead")
    verdict.clients(stats)
    verdict.settled_and_reconciled(stack)
    sent = relay_nonce(stack) - nonce_before
    batches = settled_batches(stack) - batches_before
    verdict.figure(relay_transactions=sent, batches_settled=batches)
    verdict.expect(sent == batches, "one transaction per batch: never two relays sending")
    verdict.close()


# --- 6. PostgreSQL primary restarted --------------------------------------------------
class ReadyWatch:
    """Polls every API's /ready, recording when each failed and recovered."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.samples: list[tuple[float, str, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for name in API_NAMES:
                status = _http(self.stack.url(name) + "/ready", timeout=1)[0]
                self.samples.append((time.monotonic(), name, status))
            self._stop.wait(0.2)

    def __enter__(self) -> ReadyWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def failed(self, name: str) -> bool:
        return any(n == name and s != 200 for _, n, s in self.samples)

    def recovered_at(self, name: str, after: float) -> float | None:
        for at, n, status in self.samples:
            if n == name and at >= after and status == 200:
                return at
        return None


def test_postgres_primary_restarted_under_load(stack: Stack, world: World) -> None:
    verdict = Verdict(stack, "PostgreSQL primary restarted under load")
    with under_load(world) as stats, ReadyWatch(stack) as watch:
        _warm(stats)
        stack.stop("postgres")
        stopped = time.monotonic()
        wait_until(lambda: all(watch.failed(n) for n in API_NAMES), 15, 0.2)
        remaining = stopped + 5 - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)  # a restart that clients notice: down at least 5 s
        stack.start("postgres")
        db_back = time.monotonic()
        wait_until(lambda: all(watch.recovered_at(n, db_back) for n in API_NAMES), 30, 0.2)
        resumed = stats.total
        wait_until(lambda: stats.total >= resumed + 40, 30, 0.5)
    recovery = {
        n: (None if (at := watch.recovered_at(n, db_back)) is None else round(at - db_back, 1))
        for n in API_NAMES
    }
    verdict.figure(
        database_down_s=round(db_back - stopped, 1),
        ready_failed={n: watch.failed(n) for n in API_NAMES},
        ready_recovered_s_after_database=recovery,
        client_503s=stats.count("503"),
        client_500s=stats.count("500"),
    )
    verdict.expect(
        all(watch.failed(n) for n in API_NAMES), "/ready fails while the database is down"
    )
    verdict.expect(
        all(v is not None and v <= 10 for v in recovery.values()),
        "/ready recovers within 10 s of the database",
    )
    verdict.clients(stats, allow_503=True)
    verdict.settled_and_reconciled(stack)
    verdict.close()


# --- 7. the replica stopped -----------------------------------------------------------
def _replica_caught_up(stack: Stack, target_lsn: str) -> bool:
    replayed = stack.admin_sql(
        "postgres-replica", f"select pg_last_wal_replay_lsn() >= '{target_lsn}'::pg_lsn"
    )
    return replayed == "t"


def test_replica_stopped(stack: Stack, world: World, prometheus: Prometheus) -> None:
    verdict = Verdict(stack, "the replica stopped")
    with under_load(world) as stats:
        _warm(stats)
        stack.stop("postgres-replica")
        down_until = time.monotonic() + 20
        seen, after, states = prometheus.wait_for_alert(
            "DependencyDown", {"pending", "firing"}, 90, dependency="replica"
        )
        remaining = down_until - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)  # reads fall back for at least 20 s
        errors_while_down = stats.server_errors
        stack.start("postgres-replica")
        target = stack.admin_sql("postgres", "select pg_current_wal_lsn()")
        caught_up = timed(lambda: _replica_caught_up(stack, target), 60, 0.5)
    verdict.figure(
        replica_alert=f"{sorted(states) or 'none'} after {after:.0f} s",
        server_errors_while_down=errors_while_down,
        caught_up_after_restart_s=None if caught_up is None else round(caught_up, 1),
    )
    verdict.expect(seen, "the replica alert (DependencyDown replica) pending or firing")
    verdict.expect(caught_up is not None, "the restarted replica catches up")
    verdict.clients(stats)
    verdict.settled_and_reconciled(stack)
    verdict.close()


# --- 8. backup to S3, restore into a fresh PostgreSQL ----------------------------------
def _table_fingerprints(url: str) -> dict[str, tuple[int, str]]:
    import psycopg

    with psycopg.connect(url) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "select tablename::text from pg_tables where schemaname = 'public' order by 1"
            )
        ]
        out = {}
        for table in tables:
            count, digest = conn.execute(
                f"select count(*), md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from \"{table}\" t"  # noqa: E501
            ).fetchone() or (0, "")
            out[table] = (int(count), str(digest))
        return out


class FreshPostgres:
    """A new, empty PostgreSQL server for the restore (Debian's binaries, as `postgres`)."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.folder = stack.path("data", "postgres", f"restore-{int(time.time())}")
        self.port = next(
            p for p in range(stack.port("s3") + 1, stack.port("s3") + 9) if port_free(p)
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        from stack import _postgres_user, _run_as_postgres

        user = _postgres_user()
        _run_as_postgres(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(self.folder),
                "-U",
                "postgres",
                "--auth=trust",
                # As the stack's primary: otherwise LC_ALL=C makes it SQL_ASCII.
                "--encoding=UTF8",
                "--locale=C",
            ],
            cwd=self.folder.parent,
        )
        self.process = subprocess.Popen(
            [
                str(PG_BIN / "postgres"),
                "-D",
                str(self.folder),
                "-c",
                f"port={self.port}",
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                f"unix_socket_directories={self.folder}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            user=user.pw_uid if user else None,
            group=user.pw_gid if user else None,
            start_new_session=True,
        )
        assert wait_until(lambda: self.psql("select 1") == "1", 30), (
            "the fresh server did not start"
        )

    def psql(self, query: str, database: str = "postgres") -> str:
        result = subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                database,
                "-tAXc",
                query,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        return result.stdout.strip()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(30)


def test_backup_to_s3_and_restore_into_a_fresh_postgres(stack: Stack, world: World) -> None:
    verdict = Verdict(stack, "backup to S3, restore into a fresh PostgreSQL")
    with under_load(world, rate=4) as stats:
        _warm(stats)
        wait_until(lambda: len(stats.completed_orders) >= 3, 60, 0.5)
    wait_settled(stack, 120)
    source = _table_fingerprints(stack.database_url())
    password = stack.secrets["POSTGRES_PASSWORD"]
    pg_env = {
        "PGHOST": "127.0.0.1",
        "PGPORT": str(stack.port("postgres")),
        "PGUSER": "hotpot",
        "PGPASSWORD": password,
        "PGDATABASE": "thehotpotspot",
    }
    env = {**os.environ, **stack.s3_env(), **pg_env}
    started = time.monotonic()
    backup = subprocess.run(
        ["bash", str(ROOT / "scripts" / "backup-database.sh")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    backup_s = time.monotonic() - started
    assert backup.returncode == 0, backup.stderr
    fresh = FreshPostgres(stack)
    serve: subprocess.Popen[bytes] | None = None
    try:
        fresh.start()
        restore_started = time.monotonic()
        fresh.psql(f"create role hotpot login password '{password}'")
        fresh.psql("create database thehotpotspot owner hotpot")
        restore_env = {**env, "PGPORT": str(fresh.port)}
        restored = subprocess.run(
            ["bash", str(ROOT / "scripts" / "restore-database.sh"), "latest"],
            env=restore_env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert restored.returncode == 0, restored.stderr
        url = f"postgresql://hotpot:{password}@127.0.0.1:{fresh.port}/thehotpotspot"
        api_port = next(p for p in range(fresh.port + 1, stack.port("s3") + 10) if port_free(p))
        platform = {
            **stack.platform_env(),
            "DATABASE_URL": url,
            "PORT": str(api_port),
            "METRICS_PORT": str(_os_free_port()),
        }
        platform.pop("DATABASE_REPLICA_URL")
        log = stack.log_file("restored-api").open("ab")
        serve = subprocess.Popen(
            [str(Path(os.sys.executable).parent / "hotpot"), "serve", "--port", str(api_port)],
            env={**os.environ, **platform},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        serving = wait_until(lambda: _http(f"http://127.0.0.1:{api_port}/ready")[0] == 200, 90, 0.2)
        rto = time.monotonic() - restore_started
        menu = httpx.get(f"http://127.0.0.1:{api_port}/api/v1/menu", params={"node_id": world.node})
        copy = _table_fingerprints(url)
        differing = sorted(t for t in source if source[t] != copy.get(t))
        drift = reconcile_against(stack, url)
    finally:
        if serve is not None:
            serve.terminate()
            serve.wait(30)
        fresh.stop()
    verdict.figure(
        tables=len(source),
        rows=sum(c for c, _ in source.values()),
        tables_differing=differing or "none",
        backup_s=round(backup_s, 1),
        restore_rto_s=round(rto, 1),
        restored_serves=f"ready {serving}, menu {menu.status_code}",
        restored_reconcile_drift=drift,
    )
    verdict.expect(not differing, "row counts and per-table checksums identical")
    verdict.expect(serving and menu.status_code == 200, "the restored platform serves")
    verdict.expect(sum(drift.values()) == 0, "the restored platform reconciles at drift 0")
    verdict.clients(stats)
    verdict.close()


def _os_free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def reconcile_against(stack: Stack, database_url: str) -> dict[str, int]:
    import re

    env = {**stack.worker_env("worker-1"), "DATABASE_URL": database_url}
    env.pop("DATABASE_REPLICA_URL")
    try:
        output = stack.hotpot("reconcile", env=env)
    except Exception as exc:
        output = str(exc)
    return {
        m[0]: int(m[1]) for m in re.findall(r"^(\w+): chain supply .*drift (-?\d+)", output, re.M)
    } or {"unparsed": -1}


# --- 9. a soak at half the measured capacity ------------------------------------------
SOAK_SECONDS = float(os.environ.get("HOTPOT_DRILL_SOAK_SECONDS", "180"))


def _rss(stack: Stack) -> dict[str, int]:
    out = {}
    for name in stack.pieces:
        pid = stack.pid(name)
        if pid:
            out[name] = rss_kib(pid)
    return out


def test_soak_at_half_capacity(stack: Stack, world: World) -> None:
    verdict = Verdict(stack, f"a {SOAK_SECONDS / 60:.0f}-minute soak at half the measured capacity")
    with under_load(world, rate=1000, threads=8) as probe:
        _warm(probe)
        time.sleep(20)  # a fixed measuring window: capacity is requests per second over it
    capacity = probe.rate
    rate = max(capacity / 2, 1.0)
    before = _rss(stack)
    with under_load(world, rate=rate, threads=8) as stats:
        time.sleep(SOAK_SECONDS)  # the soak's length is the measurement itself
    after = _rss(stack)
    growth = {n: f"{(after.get(n, 0) - kib) / 1024:+.1f} MiB" for n, kib in before.items()}
    verdict.figure(
        measured_capacity_rps=round(capacity, 1),
        soak_rate_rps=round(stats.rate, 1),
        rss_growth=growth,
        probe=probe.summary(),
    )
    verdict.clients(stats)
    verdict.settled_and_reconciled(stack)
    verdict.close()

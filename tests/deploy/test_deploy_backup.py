"""The backup and restore scripts, for real: pg_dump of a scratch database on the local
PostgreSQL to an S3 emulator (moto server), retention pruning, restore into another
database, and the rows are back."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from deploy_support import ROOT, run

PG = {"PGHOST": "127.0.0.1", "PGPORT": "5432", "PGUSER": "postgres"}
BUCKET = "thehotpotspot-backups"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "moto server did not start"
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def psql(db: str, sql: str) -> str:
    env = {**os.environ, **PG}
    return run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql], env=env).stdout


@pytest.fixture
def databases() -> Iterator[tuple[str, str]]:
    suffix = uuid.uuid4().hex[:8]
    src, dst = f"hotpot_bk_src_{suffix}", f"hotpot_bk_dst_{suffix}"
    for db in (src, dst):
        psql("postgres", f"CREATE DATABASE {db}")
    try:
        yield src, dst
    finally:
        for db in (src, dst):
            psql("postgres", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


def test_backup_to_s3_prunes_old_and_restores_into_another_database(
    deploy_tools: Path, s3_endpoint: str, databases: tuple[str, str], tmp_path: Path
) -> None:
    src, dst = databases
    psql(src, "CREATE TABLE orders (id bigint PRIMARY KEY, total_tetri bigint NOT NULL, note text)")
    psql(
        src, "INSERT INTO orders SELECT g, g * 100, 'hot pot ' || g FROM generate_series(1, 500) g"
    )

    creds = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        **{
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
            "region_name": "us-east-1",
        },
    )
    s3.create_bucket(Bucket=BUCKET)
    # One backup past the 30-day retention and one inside it, as earlier runs left them.
    old = f"database/{src}_{(datetime.now(UTC) - timedelta(days=31)):%Y%m%dT%H%M%SZ}.dump.gz"
    recent = f"database/{src}_{(datetime.now(UTC) - timedelta(days=29)):%Y%m%dT%H%M%SZ}.dump.gz"
    for key in (old, recent):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"earlier backup")

    env = {
        **os.environ,
        **PG,
        **creds,
        "PGDATABASE": src,
        "BACKUP_BUCKET": BUCKET,
        "S3_ENDPOINT_URL": s3_endpoint,
        "BACKUP_DIR": str(tmp_path),
        "HOME": str(tmp_path),
    }
    out = run([str(ROOT / "scripts" / "backup-database.sh")], env=env).stdout
    assert "removed 1 backup(s) older than 30 days" in out

    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert old not in keys and recent in keys
    new = sorted(keys - {recent})
    assert len(new) == 1 and new[0].endswith(".dump.gz")
    body = s3.get_object(Bucket=BUCKET, Key=new[0])["Body"].read()
    assert body[:2] == b"\x1f\x8b", "uploaded object is gzip"

    # Change the source after the backup: the restore must bring back the backed-up state.
    psql(src, "DELETE FROM orders WHERE id > 10")
    restore = [str(ROOT / "scripts" / "restore-database.sh"), "--target-db", dst, "latest"]
    run(restore, env={**env, "PGDATABASE": ""})
    assert psql(dst, "SELECT count(*), sum(total_tetri) FROM orders").strip() == "500|12525000"
    assert psql(dst, "SELECT note FROM orders WHERE id = 42").strip() == "hot pot 42"


def test_backup_fails_clearly_without_a_bucket(deploy_tools: Path) -> None:
    env = {**os.environ, **PG, "PGDATABASE": "postgres"}
    env.pop("BACKUP_BUCKET", None)
    proc = subprocess.run(
        [str(ROOT / "scripts" / "backup-database.sh")], env=env, capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert "BACKUP_BUCKET is not set" in proc.stderr


def test_restore_of_a_missing_backup_fails_clearly(deploy_tools: Path, s3_endpoint: str) -> None:
    env = {
        **os.environ,
        **PG,
        "PGDATABASE": "postgres",
        "BACKUP_BUCKET": BUCKET,
        "S3_ENDPOINT_URL": s3_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    ).create_bucket(Bucket=BUCKET)
    proc = subprocess.run(
        [str(ROOT / "scripts" / "restore-database.sh"), "nope.dump.gz"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert "could not download nope.dump.gz" in proc.stderr

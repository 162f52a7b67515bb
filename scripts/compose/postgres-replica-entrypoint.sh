#!/usr/bin/env bash
# Entry point of the compose read replica: on first start clone the primary with
# pg_basebackup (-R writes standby.signal and primary_conninfo), then run postgres.
set -euo pipefail

: "${PRIMARY_HOST:?PRIMARY_HOST is not set}"
: "${REPLICATION_PASSWORD:?REPLICATION_PASSWORD is not set}"
: "${PGDATA:?PGDATA is not set}"

if [[ ! -s "${PGDATA}/PG_VERSION" ]]; then
  echo "replica: cloning ${PRIMARY_HOST} into ${PGDATA}"
  mkdir -p "${PGDATA}"
  chmod 0700 "${PGDATA}"
  PGPASSWORD="${REPLICATION_PASSWORD}" pg_basebackup \
    --host="${PRIMARY_HOST}" --username=replicator --pgdata="${PGDATA}" \
    --wal-method=stream --write-recovery-conf \
    --create-slot --slot=replica1 --progress
fi

exec postgres -c hot_standby=on

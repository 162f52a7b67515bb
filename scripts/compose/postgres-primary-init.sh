#!/usr/bin/env bash
# Runs once, on the primary's first start (docker-entrypoint-initdb.d):
# creates the replication role and lets it connect for streaming replication.
set -euo pipefail

if [[ -z "${REPLICATION_PASSWORD:-}" ]]; then
  echo "postgres-primary-init: REPLICATION_PASSWORD is not set" >&2
  exit 1
fi

psql -v ON_ERROR_STOP=1 -v pw="${REPLICATION_PASSWORD}" \
  --username "${POSTGRES_USER}" --dbname "${POSTGRES_DB}" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'pw';
SQL

echo "host replication replicator all scram-sha-256" >> "${PGDATA}/pg_hba.conf"

#!/usr/bin/env bash
# Restore a backup made by backup-database.sh from S3 into a PostgreSQL database.
set -euo pipefail

usage() {
  cat <<USAGE
usage: $(basename "$0") [-h] [--target-db NAME] [--clean] BACKUP

BACKUP is the object name under s3://\$BACKUP_BUCKET/\$BACKUP_PREFIX/
(e.g. thehotpotspot_20250101T020000Z.dump.gz) or "latest".

options:
  --target-db NAME  restore into NAME instead of \$PGDATABASE (must exist)
  --clean           drop existing objects before recreating them

environment:
  PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE   where to restore to (libpq)
  BACKUP_BUCKET, BACKUP_PREFIX (default: database), S3_ENDPOINT_URL (optional)
USAGE
}

die() {
  echo "restore-database: error: $*" >&2
  exit 1
}

target_db="${PGDATABASE:-}"
clean=()
backup=""
while (($#)); do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --target-db) [[ $# -ge 2 ]] || die "--target-db needs a value"; target_db="$2"; shift 2 ;;
    --clean) clean=(--clean --if-exists); shift ;;
    -*) usage >&2; exit 2 ;;
    *) [[ -z "${backup}" ]] || die "only one BACKUP may be given"; backup="$1"; shift ;;
  esac
done
[[ -n "${backup}" ]] || { usage >&2; exit 2; }

for tool in pg_restore gunzip aws; do
  command -v "${tool}" >/dev/null || die "${tool} is not installed"
done
[[ -n "${target_db}" ]] || die "no target database: set PGDATABASE or pass --target-db"
[[ -n "${BACKUP_BUCKET:-}" ]] || die "BACKUP_BUCKET is not set"
prefix="${BACKUP_PREFIX:-database}"

aws_s3=(aws s3)
aws_s3api=(aws s3api)
if [[ -n "${S3_ENDPOINT_URL:-}" ]]; then
  aws_s3+=(--endpoint-url "${S3_ENDPOINT_URL}")
  aws_s3api+=(--endpoint-url "${S3_ENDPOINT_URL}")
fi

if [[ "${backup}" == latest ]]; then
  # Names end in a UTC timestamp, so the lexically last key is the newest.
  backup="$("${aws_s3api[@]}" list-objects-v2 --bucket "${BACKUP_BUCKET}" --prefix "${prefix}/" \
              --query 'Contents[].Key' --output text | tr '\t' '\n' | grep '\.dump\.gz$' | sort | tail -n 1)"
  [[ -n "${backup}" ]] || die "no backups under s3://${BACKUP_BUCKET}/${prefix}/"
  backup="${backup##*/}"
fi
[[ "${backup}" != */* ]] || die "give the object name only, not a path: ${backup}"

workdir="$(mktemp -d)"
trap 'rm -rf "${workdir}"' EXIT

echo "restore-database: downloading s3://${BACKUP_BUCKET}/${prefix}/${backup}"
"${aws_s3[@]}" cp --only-show-errors "s3://${BACKUP_BUCKET}/${prefix}/${backup}" "${workdir}/${backup}" \
  || die "could not download ${backup}"
gunzip --test "${workdir}/${backup}" || die "${backup} is not a valid gzip file"
gunzip "${workdir}/${backup}"

echo "restore-database: restoring into ${target_db}"
pg_restore --dbname="${target_db}" --no-owner --no-privileges --exit-on-error \
  --single-transaction "${clean[@]}" "${workdir}/${backup%.gz}"
echo "restore-database: restored ${backup} into ${target_db}"

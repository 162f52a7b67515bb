#!/usr/bin/env bash
# Back up the PostgreSQL database: pg_dump -> gzip -> S3, then delete backups older
# than RETENTION_DAYS from the bucket (and from the local folder).
#
# Connection: the libpq variables PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE.
# Storage:    BACKUP_BUCKET (required), BACKUP_PREFIX (default "database"),
#             S3_ENDPOINT_URL (optional: MinIO, a test S3), AWS_* credentials as usual.
set -euo pipefail

usage() {
  cat <<USAGE
usage: $(basename "$0") [-h]

Dumps \$PGDATABASE (custom format, compressed with gzip) to
s3://\$BACKUP_BUCKET/\$BACKUP_PREFIX/<db>_<UTC timestamp>.dump.gz and removes objects
older than \$RETENTION_DAYS (default 30) under that prefix.

environment:
  PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE   where to dump from (libpq)
  BACKUP_BUCKET     S3 bucket (required)
  BACKUP_PREFIX     key prefix (default: database)
  BACKUP_DIR        local working folder (default: a temporary folder)
  RETENTION_DAYS    days to keep (default: 30)
  S3_ENDPOINT_URL   S3-compatible endpoint (default: AWS)
USAGE
}

die() {
  echo "backup-database: error: $*" >&2
  exit 1
}

case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  "") ;;
  *) usage >&2; exit 2 ;;
esac

for tool in pg_dump gzip aws; do
  command -v "${tool}" >/dev/null || die "${tool} is not installed"
done
[[ -n "${PGDATABASE:-}" ]] || die "PGDATABASE is not set"
[[ -n "${BACKUP_BUCKET:-}" ]] || die "BACKUP_BUCKET is not set"
prefix="${BACKUP_PREFIX:-database}"
retention_days="${RETENTION_DAYS:-30}"
[[ "${retention_days}" =~ ^[0-9]+$ ]] || die "RETENTION_DAYS must be a whole number, got '${retention_days}'"

aws_s3=(aws s3)
aws_s3api=(aws s3api)
if [[ -n "${S3_ENDPOINT_URL:-}" ]]; then
  aws_s3+=(--endpoint-url "${S3_ENDPOINT_URL}")
  aws_s3api+=(--endpoint-url "${S3_ENDPOINT_URL}")
fi

workdir="${BACKUP_DIR:-}"
if [[ -z "${workdir}" ]]; then
  workdir="$(mktemp -d)"
  trap 'rm -rf "${workdir}"' EXIT
fi
mkdir -p "${workdir}"

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
file="${PGDATABASE}_${stamp}.dump.gz"
path="${workdir}/${file}"

# pipefail makes a failed pg_dump fail the pipeline, so no half-written dump is uploaded.
echo "backup-database: dumping ${PGDATABASE} from ${PGHOST:-local socket}"
pg_dump --format=custom --compress=0 --no-owner --no-privileges | gzip -6 > "${path}"
[[ -s "${path}" ]] || die "the dump is empty"

echo "backup-database: uploading s3://${BACKUP_BUCKET}/${prefix}/${file}"
"${aws_s3[@]}" cp --only-show-errors "${path}" "s3://${BACKUP_BUCKET}/${prefix}/${file}"

# Retention: object keys carry their UTC timestamp, so compare names, not clocks of
# the storage. Keys sort lexically by time within one database name.
cutoff="$(date -u -d "-${retention_days} days" +%Y%m%dT%H%M%SZ)"
removed=0
while read -r key; do
  [[ -n "${key}" && "${key}" != "None" ]] || continue
  name="${key##*/}"
  ts="${name#"${PGDATABASE}"_}"
  ts="${ts%.dump.gz}"
  if [[ "${ts}" =~ ^[0-9]{8}T[0-9]{6}Z$ && "${ts}" < "${cutoff}" ]]; then
    "${aws_s3[@]}" rm --only-show-errors "s3://${BACKUP_BUCKET}/${key}"
    removed=$((removed + 1))
  fi
done < <("${aws_s3api[@]}" list-objects-v2 --bucket "${BACKUP_BUCKET}" \
           --prefix "${prefix}/${PGDATABASE}_" --query 'Contents[].Key' --output text | tr '\t' '\n')
find "${workdir}" -name "${PGDATABASE}_*.dump.gz" -mtime "+${retention_days}" -delete

echo "backup-database: done: ${file} (removed ${removed} backup(s) older than ${retention_days} days)"

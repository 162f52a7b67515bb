# syntax=docker/dockerfile:1
# The Hot Pot Spot API image (also runs `hotpot migrate` and the relay `hotpot worker`).
#
# BASE_IMAGE: any Debian-like image with python3 (>= 3.11) and the venv module. CI uses
# the official slim image; the image test passes a base it made itself with debootstrap.
# Offline builds: pip reads PIP_NO_INDEX / PIP_FIND_LINKS from the build args, so, with the
# files of requirements/runtime.lock.txt (`pip download --require-hashes -r ...`) in wheels/,
#   buildah bud -v "$PWD/wheels:/wheels:ro" --build-arg PIP_NO_INDEX=1 \
#               --build-arg PIP_FIND_LINKS=/wheels .
# installs only the wheels fetched on the host, with no network inside the build.
ARG BASE_IMAGE=docker.io/library/python:3.11.10-slim-bookworm
ARG BACKUP_BASE_IMAGE=docker.io/library/postgres:16.4-bookworm

# ---- build: a self-contained virtualenv in /opt/hotpot ----------------------------------
FROM ${BASE_IMAGE} AS builder
ARG PIP_NO_INDEX=""
ARG PIP_FIND_LINKS=""
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_NO_INDEX=${PIP_NO_INDEX} \
    PIP_FIND_LINKS=${PIP_FIND_LINKS}
WORKDIR /src
# README* rather than README.md: the glob keeps the build working before a README exists.
COPY pyproject.toml README* ./
# The runtime dependencies at the exact versions and hashes of the lock (`./dev lock`),
# then the project alone: two builds of one commit install the same files.
COPY requirements/runtime.lock.txt ./requirements/
COPY src ./src
# python3 rather than python: a plain Debian base has no `python` alias.
RUN python3 -m venv /opt/hotpot \
 && /opt/hotpot/bin/pip install --no-compile --require-hashes -r requirements/runtime.lock.txt \
 && /opt/hotpot/bin/pip install --no-compile --no-deps /src \
 && /opt/hotpot/bin/pip check \
 && /opt/hotpot/bin/python -m compileall -q /opt/hotpot/lib \
 && /opt/hotpot/bin/hotpot --help > /dev/null

# ---- backup job image: pg_dump/psql of the server's major version + the AWS CLI --------
FROM ${BACKUP_BASE_IMAGE} AS backup
RUN apt-get update \
 && apt-get install -y --no-install-recommends awscli ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY scripts/backup-database.sh scripts/restore-database.sh /usr/local/bin/
USER postgres
HEALTHCHECK NONE
ENTRYPOINT ["/usr/local/bin/backup-database.sh"]

# ---- runtime (default target) -----------------------------------------------------------
FROM ${BASE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="thehotpotspot-api" \
      org.opencontainers.image.source="https://github.com/thehotpotspot/platform"
# Only the venv is copied: no compiler, no pip cache, no sources.
COPY --from=builder /opt/hotpot /opt/hotpot
# A fixed numeric uid so Kubernetes `runAsNonRoot` can verify it without /etc/passwd.
RUN groupadd --system --gid 10001 hotpot \
 && useradd --system --uid 10001 --gid hotpot --home-dir /var/lib/hotpot \
            --create-home --shell /usr/sbin/nologin hotpot
ENV PATH=/opt/hotpot/bin:${PATH} \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOTPOT_ENV=production \
    HOTPOT_DATA_DIR=/var/lib/hotpot \
    HOST=0.0.0.0 \
    PORT=8080
WORKDIR /var/lib/hotpot
USER 10001:10001
EXPOSE 8080
# No curl in a slim image: the venv's own Python asks /health (liveness, no dependencies).
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["/opt/hotpot/bin/python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT', '8080'), timeout=2)"]
ENTRYPOINT ["hotpot"]
CMD ["serve"]

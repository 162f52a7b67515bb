"""The container image really builds and runs.

Builds the Dockerfile with buildah (chroot isolation, no network inside the build) on a
Debian bookworm + python3 base made here with debootstrap and passed through the
BASE_IMAGE build argument; installs only the locked wheels fetched on the host (--no-index);
runs the image with podman and expects 200 from /health, the image's own HEALTHCHECK to pass and
the process to run as uid 10001. Slow (minutes on a cold cache): `./dev test-image`.
The debootstrap base is cached in .tools/image/ (ignored by git), so a second run skips it.
"""

from __future__ import annotations

import base64
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.image

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("HOTPOT_TOOLS_DIR") or ROOT / ".tools") / "image"
BASE_TAR = CACHE / "base-bookworm.tar"
BASE_IMAGE = "localhost/hotpot-base:bookworm"
IMAGE = "localhost/hotpot-api:image-test"
RUNTIME_LOCK = ROOT / "requirements" / "runtime.lock.txt"
MIRROR = "http://deb.debian.org/debian"
# runc refuses the machine's default nproc/nofile limits inside the sandbox: lower them.
RUN_OPTS = ["--runtime", "runc", "--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096"]


def run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)
    assert proc.returncode == 0, (
        f"{' '.join(cmd)} -> {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    )
    return proc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def image_tools() -> None:
    run([str(ROOT / "tools" / "deploy-tools.sh"), "--image"])


@pytest.fixture(scope="module")
def base_image(image_tools: None) -> str:
    """Debian bookworm + python3-venv, made with debootstrap once and cached as a tarball."""
    CACHE.mkdir(parents=True, exist_ok=True)
    if not BASE_TAR.exists():
        rootfs = CACHE / "rootfs"
        subprocess.run(["rm", "-rf", str(rootfs)], check=True)
        run(
            [
                "debootstrap",
                "--variant=minbase",
                "--include=python3,python3-venv,ca-certificates",
                "bookworm",
                str(rootfs),
                MIRROR,
            ]
        )
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
            subprocess.run(f"rm -rf {rootfs / junk}/*", shell=True, check=True)
        partial = BASE_TAR.with_suffix(".partial")
        run(["tar", "-C", str(rootfs), "-cf", str(partial), "."])
        partial.rename(BASE_TAR)
        subprocess.run(["rm", "-rf", str(rootfs)], check=True)
    if subprocess.run(["podman", "image", "exists", BASE_IMAGE], check=False).returncode != 0:
        run(["podman", "import", "--quiet", str(BASE_TAR), BASE_IMAGE])
    return BASE_IMAGE


def in_base(
    base: str, *cmd: str, volumes: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    vols = [arg for v in volumes for arg in ("-v", v)]
    return subprocess.run(
        ["podman", "run", "--rm", *RUN_OPTS, "--network", "none", *vols, base, *cmd],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def wheelhouse(base_image: str) -> Path:
    """The wheels of requirements/runtime.lock.txt (hashes checked), fetched on the host.

    The Dockerfile installs exactly the lock, then the project from /src (setuptools, also
    fetched here, builds it). The lock is resolved for CPython 3.11.0 on x86_64 Linux, so
    it also holds what bookworm's 3.11.2 needs (async-timeout): an offline trial install
    of the lock in the base image proves the wheelhouse complete before the build.
    """
    # A folder of its own: wheels built locally by earlier runs must not shadow the locked
    # files (same name and version, another hash).
    wheels = CACHE / "runtime-lock-wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    download = [*pip, "download", "--only-binary=:all:", "-d", str(wheels)]
    run([*download, "--require-hashes", "-r", str(RUNTIME_LOCK)])
    run([*download, "setuptools>=69", "wheel"])
    trial = in_base(
        base_image,
        "sh",
        "-c",
        "python3 -m venv /tmp/v && /tmp/v/bin/pip install -q --no-index --find-links /wheels "
        "--require-hashes --dry-run -r /lock/runtime.lock.txt",
        volumes=(f"{wheels}:/wheels:ro", f"{RUNTIME_LOCK.parent}:/lock:ro"),
    )
    assert trial.returncode == 0, trial.stderr
    return wheels


@pytest.fixture(scope="module")
def built_image(base_image: str, wheelhouse: Path) -> Iterator[str]:
    started = time.monotonic()
    run(
        [
            "buildah",
            "bud",
            "--isolation",
            "chroot",
            "--format",
            "docker",
            "--layers=false",
            "--target",
            "runtime",
            "--build-arg",
            f"BASE_IMAGE={base_image}",
            "--build-arg",
            "PIP_NO_INDEX=1",
            "--build-arg",
            "PIP_FIND_LINKS=/wheels",
            "-v",
            f"{wheelhouse}:/wheels:ro",
            "-t",
            IMAGE,
            str(ROOT),
        ]
    )
    print(f"image built in {time.monotonic() - started:.1f}s")
    yield IMAGE
    subprocess.run(["podman", "rmi", "-f", IMAGE], capture_output=True, check=False)


def psql(sql: str) -> None:
    run(["psql", "-X", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-c", sql])


@pytest.fixture
def database() -> Iterator[str]:
    name = f"hotpot_image_{uuid.uuid4().hex[:8]}"
    psql(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def production_env(database_url: str, port: int) -> dict[str, str]:
    return {
        "HOTPOT_ENV": "production",
        "PORT": str(port),
        "DATABASE_URL": database_url,
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "REDIS_NAMESPACE": f"imagetest{port}",
        "JWT_SECRET": secrets.token_hex(32),
        "ENCRYPTION_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "RECEIPT_CODE_SECRET": secrets.token_hex(32),
        "HOTPOT_SEED_DEMO": "false",
        # The network's own chain addresses: production refuses the development ones.
        "OWNER_ADDRESS": "0x" + secrets.token_hex(20),
        "CHARITY_ADDRESS": "0x" + secrets.token_hex(20),
        "CUSTODY_ADDRESS": "0x" + secrets.token_hex(20),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }


def wait_for_200(url: str, container: str, timeout: float = 90) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                return int(resp.status)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            state = run(["podman", "inspect", "-f", "{{.State.Status}}", container]).stdout.strip()
            if state in {"exited", "stopped"}:
                logs = subprocess.run(["podman", "logs", container], capture_output=True, text=True)
                raise AssertionError(f"container stopped:\n{logs.stdout}\n{logs.stderr}") from None
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {timeout}s")


def test_image_migrates_serves_health_and_runs_as_non_root(built_image: str, database: str) -> None:
    port = free_port()
    env = production_env(database, port)
    env_args = [arg for k, v in env.items() for arg in ("-e", f"{k}={v}")]

    migrate = run(
        ["podman", "run", "--rm", *RUN_OPTS, "--network", "host", *env_args, built_image, "migrate"]
    )
    assert "migrated" in migrate.stdout + migrate.stderr

    name = f"hotpot-image-test-{port}"
    run(
        [
            "podman",
            "run",
            "-d",
            "--name",
            name,
            *RUN_OPTS,
            "--network",
            "host",
            *env_args,
            built_image,
        ]
    )
    try:
        assert wait_for_200(f"http://127.0.0.1:{port}/health", name) == 200
        # The image's HEALTHCHECK (python one-liner, no curl) passes inside the container.
        run(["podman", "healthcheck", "run", name])
        assert run(["podman", "exec", name, "id", "-u"]).stdout.strip() == "10001"
        assert (
            run(["podman", "exec", name, "sh", "-c", "command -v curl || echo none"]).stdout.strip()
            == "none"
        )
    finally:
        subprocess.run(["podman", "rm", "-f", name], capture_output=True, check=False)


def test_image_refuses_to_start_in_production_without_secrets(built_image: str) -> None:
    proc = subprocess.run(
        ["podman", "run", "--rm", *RUN_OPTS, "--network", "none", built_image, "serve"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    assert "must be set when HOTPOT_ENV=production" in proc.stdout + proc.stderr

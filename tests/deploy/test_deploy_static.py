"""Static checks of every deployment artefact with the real tools: yamllint, shellcheck,
ansible-playbook --syntax-check, nginx -t, terraform fmt, HCL parsing and the Compose spec."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml
from deploy_support import ROOT, run

YAML_FILES = [
    ROOT / "docker-compose.yml",
    ROOT / ".gitlab-ci.yml",
    ROOT / ".github" / "workflows" / "ci.yml",
    ROOT / "helm" / "thehotpotspot" / "Chart.yaml",
    ROOT / "helm" / "thehotpotspot" / "values.yaml",
    ROOT / "helm" / "k8s-values.yaml",
    ROOT / "ansible" / "playbook.yml",
    ROOT / "tests" / "deploy" / "checkov-skips.yaml",
    *sorted((ROOT / "k8s").rglob("*.yaml")),
]
SHELL_SCRIPTS = sorted([*(ROOT / "scripts").rglob("*.sh"), ROOT / "tools" / "deploy-tools.sh"])
TERRAFORM = ROOT / "terraform"


def test_yamllint_passes() -> None:
    config = ROOT / "tests" / "deploy" / "yamllint.yaml"
    run([sys.executable, "-m", "yamllint", "--strict", "-c", str(config), *map(str, YAML_FILES)])


def test_shellcheck_passes(deploy_tools: Path) -> None:
    run(["shellcheck", "--severity=style", *map(str, SHELL_SCRIPTS)])


@pytest.mark.parametrize(
    "script", ["backup-database.sh", "restore-database.sh", "blue-green-deploy.sh"]
)
def test_scripts_print_usage_and_reject_bad_arguments(script: str) -> None:
    path = ROOT / "scripts" / script
    ok = run([str(path), "--help"])
    assert ok.stdout.startswith("usage:")
    bad = subprocess.run([str(path), "--no-such-flag"], capture_output=True, text=True)
    assert bad.returncode == 2 and "usage:" in bad.stderr


def test_blue_green_refuses_latest() -> None:
    proc = subprocess.run(
        [str(ROOT / "scripts" / "blue-green-deploy.sh"), "latest"], capture_output=True, text=True
    )
    assert proc.returncode == 1 and "refusing to deploy 'latest'" in proc.stderr


def test_ansible_playbook_syntax(deploy_tools: Path) -> None:
    run(
        ["ansible-playbook", "--syntax-check", "-i", "inventory.example.ini", "playbook.yml"],
        cwd=ROOT / "ansible",
    )


def test_ansible_installs_a_pinned_checksummed_kubectl() -> None:
    play = yaml.safe_load((ROOT / "ansible" / "playbook.yml").read_text())[0]
    task = next(t for t in play["tasks"] if "ansible.builtin.get_url" in t)
    assert "{{ kubectl_version }}" in task["ansible.builtin.get_url"]["url"]
    assert re.fullmatch(r"v\d+\.\d+\.\d+", play["vars"]["kubectl_version"])
    assert re.fullmatch(r"[0-9a-f]{64}", play["vars"]["kubectl_sha256"])
    assert not any("shell" in t or "ansible.builtin.shell" in t for t in play["tasks"])


def test_terraform_fmt_check(deploy_tools: Path) -> None:
    run(
        [
            str(deploy_tools / "terraform-venv" / "bin" / "terraform"),
            "fmt",
            "-check",
            "-recursive",
            "-diff",
            str(TERRAFORM),
        ]
    )


def unquote(value: Any) -> Any:
    """python-hcl2 keeps HCL string quotes (and quoted block labels): drop them."""
    if isinstance(value, dict):
        return {unquote(k): unquote(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [unquote(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def tf_blocks(directory: Path) -> dict[str, list[Any]]:
    merged: dict[str, list[Any]] = {}
    for tf in sorted(directory.glob("*.tf")):
        with tf.open() as fh:
            for key, value in unquote(hcl2.load(fh)).items():
                if key != "__comments__":
                    merged.setdefault(key, []).extend(value)
    return merged


@pytest.mark.parametrize("stack", ["eks", "aws", "gcp"])
def test_terraform_parses_and_pins_its_providers(stack: str) -> None:
    blocks = tf_blocks(TERRAFORM / stack)
    providers = blocks["terraform"][0]["required_providers"][0]
    for name, spec in providers.items():
        assert re.fullmatch(r"= \d+\.\d+\.\d+", spec["version"]), f"{stack}: {name} not pinned"
    declared = {name for v in blocks.get("variable", []) for name in v}
    used = set()
    for tf in (TERRAFORM / stack).glob("*.tf"):
        used |= set(re.findall(r"\bvar\.([a-z_]+)", tf.read_text()))
    assert used <= declared, f"{stack}: undeclared variables {used - declared}"


def test_eks_has_the_guide_s_cluster_and_node_group() -> None:
    resources = {k: v for r in tf_blocks(TERRAFORM / "eks")["resource"] for k, v in r.items()}
    node_group = resources["aws_eks_node_group"]["main"]
    assert node_group["scaling_config"][0] == {"desired_size": 3, "max_size": 10, "min_size": 1}
    assert "aws_eks_cluster" in resources


def test_compose_file_matches_the_compose_specification() -> None:
    run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            str(ROOT / "docker-compose.yml"),
        ]
    )


def test_compose_services_are_healthchecked_pinned_and_ordered() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {
        "postgres",
        "postgres-replica",
        "redis",
        "api",
        "nginx",
        "chain",
        "ipfs",
        "worker",
        "migrate",
    } <= set(services)
    assert services["api"]["deploy"]["replicas"] >= 2
    for name, svc in services.items():
        if "image" in svc and "build" not in svc:
            tag = svc["image"].rsplit(":", 1)[-1]
            assert re.search(r"\d", tag) and "latest" not in tag, f"{name}: {svc['image']}"
        if name not in {"migrate", "worker", "api"}:
            assert "test" in svc["healthcheck"], name
    deps = services["api"]["depends_on"]
    assert deps["migrate"]["condition"] == "service_completed_successfully"
    assert all(d["condition"].startswith("service_") for d in deps.values())
    # Secrets come from the environment (.env), never written into the file.
    text = (ROOT / "docker-compose.yml").read_text()
    assert "${POSTGRES_PASSWORD:?" in text
    assert not re.search(r"PASSWORD:\s*[A-Za-z0-9]", text)


def nginx_sandbox(tmp_path: Path) -> Path:
    """A copy of /etc/nginx as the containers see it: our config, a fresh self-signed cert."""
    etc = tmp_path / "etc-nginx"
    shutil.copytree(ROOT / "nginx", etc, ignore=shutil.ignore_patterns("ssl"))
    shutil.copy("/etc/nginx/mime.types", etc / "mime.types")
    (etc / "ssl").mkdir()
    run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=api.thehotpotspot.com",
            "-keyout",
            str(etc / "ssl" / "key.pem"),
            "-out",
            str(etc / "ssl" / "cert.pem"),
        ]
    )
    hosts = tmp_path / "hosts"
    hosts.write_text(Path("/etc/hosts").read_text() + "\n127.0.0.1 api\n")
    return tmp_path


def test_nginx_config_is_valid_with_a_self_signed_certificate(
    deploy_tools: Path, tmp_path: Path
) -> None:
    sandbox = nginx_sandbox(tmp_path)
    # A private mount namespace puts the config at /etc/nginx and makes `api` (the compose
    # service name) resolvable, without touching the host's files.
    script = (
        f"mount --bind {sandbox / 'etc-nginx'} /etc/nginx && "
        f"mount --bind {sandbox / 'hosts'} /etc/hosts && nginx -t"
    )
    proc = run(["unshare", "--mount", "sh", "-c", script])
    assert "test is successful" in proc.stderr


def test_nginx_retries_only_idempotent_requests_and_sets_the_headers() -> None:
    conf = (ROOT / "nginx" / "conf.d" / "thehotpotspot.conf").read_text()
    code = "\n".join(line.split("#", 1)[0] for line in conf.splitlines())
    next_upstream = re.search(r"proxy_next_upstream\s+([^;]+);", code)
    assert next_upstream and "non_idempotent" not in next_upstream.group(1)
    assert re.search(r"ssl_protocols\s+TLSv1\.2 TLSv1\.3;", code)
    assert re.search(r"server api:8080 max_fails=\d+ fail_timeout=\d+s;", code)
    for header in (
        "Strict-Transport-Security",
        "X-Frame-Options",
        "X-Content-Type-Options",
        "X-XSS-Protection",
    ):
        assert f"add_header {header}" in code


def test_nginx_closes_idle_upstream_connections_before_the_api_does() -> None:
    """Were the API to close an idle keep-alive connection first, nginx could send a POST on
    it just as it closes: not retried, the client gets a 503 (seen in the soak drill)."""
    from hotpot.config import Settings

    conf = (ROOT / "nginx" / "conf.d" / "thehotpotspot.conf").read_text()
    code = "\n".join(line.split("#", 1)[0] for line in conf.splitlines())
    upstream = re.search(r"upstream api_servers \{([^}]*)\}", code)
    assert upstream, "the api_servers upstream block"
    timeout = re.search(r"keepalive_timeout\s+(\d+)s;", upstream.group(1))
    assert timeout, "the upstream names its keepalive_timeout (nginx's default is 60 s)"
    api_keeps = Settings.model_fields["http_keepalive_seconds"].default
    assert int(timeout.group(1)) < api_keeps


def test_dockerfile_is_multistage_non_root_and_checks_health_without_curl() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^ARG BASE_IMAGE=\S+:3\.11\.\d+-slim-bookworm$", text, re.M)
    assert len(re.findall(r"^FROM ", text, re.M)) >= 2
    runtime = text[text.index("AS runtime") :]
    assert re.search(r"^USER 10001", runtime, re.M)
    healthcheck = runtime[runtime.index("HEALTHCHECK") :]
    assert "/health" in healthcheck.split("\n\n")[0]
    assert "curl" not in runtime.replace("No curl", "")

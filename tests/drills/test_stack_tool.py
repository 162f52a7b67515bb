"""The stack tool's own checks, quick enough for every suite: renderers, ports, alert-relay."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml
from stack import (
    API_NAMES,
    HERE,
    OFFSETS,
    ROOT,
    Stack,
    StackError,
    _nginx_user,
    render_nginx_main,
    render_nginx_site,
    render_prometheus,
    wait_until,
)

from hotpot.adapters.embedded import free_port
from tests.drills.conftest import free_base_port


def test_nginx_rendered_for_three_loopback_upstreams(tmp_path: Path) -> None:
    site = render_nginx_site(
        (ROOT / "nginx" / "conf.d" / "thehotpotspot.conf").read_text(),
        upstreams=[20010, 20011, 20012],
        http_port=20001,
        https_port=20000,
        tls_dir=tmp_path,
    )
    assert "api:8080" not in site and "[::]" not in site
    for port in (20010, 20011, 20012):
        assert f"server 127.0.0.1:{port} max_fails=3 fail_timeout=10s;" in site
    assert "listen 127.0.0.1:20000 ssl http2;" in site
    assert f"ssl_certificate {tmp_path}/cert.pem;" in site
    # What makes nginx retry GETs on another instance is kept as the project wrote it.
    assert "proxy_next_upstream error timeout http_502 http_503 http_504;" in site
    main = render_nginx_main(
        (ROOT / "nginx" / "nginx.conf").read_text(),
        pid=tmp_path / "nginx.pid",
        logs=tmp_path,
        conf_d=tmp_path / "conf.d",
        user=None,
    )
    assert "/var/log/nginx" not in main and f"include {tmp_path}/conf.d/*.conf;" in main


def test_renderer_refuses_a_config_it_does_not_know() -> None:
    with pytest.raises(StackError, match="api:8080"):
        render_nginx_site(
            "upstream api_servers { server other:9000; }",
            upstreams=[1],
            http_port=2,
            https_port=3,
            tls_dir=Path("/tmp"),
        )


def test_prometheus_keeps_every_job_and_rule_with_loopback_targets() -> None:
    source = yaml.safe_load((ROOT / "monitoring" / "prometheus" / "prometheus.yml").read_text())
    stack = Stack(Path("/nonexistent/stack"), 30000)
    targets = {
        job["job_name"]: [f"127.0.0.1:{i}"] for i, job in enumerate(source["scrape_configs"])
    }
    targets["thehotpotspot-api"] = [f"127.0.0.1:{stack.port(n)}" for n in API_NAMES]
    rendered = render_prometheus(
        source,
        rules=ROOT / "monitoring" / "prometheus" / "rules",
        targets=targets | {"alertmanager": ["127.0.0.1:30071"]},
    )
    assert [j["job_name"] for j in rendered["scrape_configs"]] == [
        j["job_name"] for j in source["scrape_configs"]
    ]
    api = next(j for j in rendered["scrape_configs"] if j["job_name"] == "thehotpotspot-api")
    assert "dns_sd_configs" not in api
    assert api["static_configs"] == [
        {"targets": ["127.0.0.1:30010", "127.0.0.1:30011", "127.0.0.1:30012"]}
    ]
    assert api["scrape_interval"] == "5s"
    assert rendered["global"] == source["global"]
    assert rendered["rule_files"] == [str(ROOT / "monitoring" / "prometheus" / "rules" / "*.yml")]


def test_prometheus_refuses_a_job_the_stack_does_not_run() -> None:
    source = {"alerting": {"alertmanagers": []}, "scrape_configs": [{"job_name": "mystery"}]}
    with pytest.raises(StackError, match="mystery"):
        render_prometheus(source, rules=Path("/r"), targets={"alertmanager": ["x"]})


def test_up_refuses_when_a_port_is_taken(tmp_path: Path) -> None:
    base = free_base_port()
    stack = Stack(tmp_path / "stack", base)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", base + OFFSETS["redis"]))
        taken.listen()
        with pytest.raises(StackError, match=rf"redis {base + OFFSETS['redis']}"):
            stack.up(say=lambda _: None)
    assert not (tmp_path / "stack" / "run").exists(), "nothing was started"


def test_alert_relay_records_every_notification(tmp_path: Path) -> None:
    port, file = free_port(), tmp_path / "notifications.jsonl"
    relay = subprocess.Popen([sys.executable, str(HERE / "alert_relay.py"), str(port), str(file)])
    try:
        url = f"http://127.0.0.1:{port}"
        assert wait_until(lambda: httpx.get(f"{url}/health").status_code == 200, 10)
        payload = {"status": "firing", "alerts": [{"labels": {"alertname": "RedisDown"}}]}
        assert httpx.post(f"{url}/alerts/critical", json=payload).status_code == 200
        assert httpx.post(f"{url}/alerts/critical", content=b"not json").status_code == 400
        recorded = httpx.get(f"{url}/alerts").json()
        assert [(r["receiver"], r["payload"]) for r in recorded] == [("critical", payload)]
        assert json.loads(file.read_text().splitlines()[0])["receiver"] == "critical"
    finally:
        relay.terminate()
        relay.wait(10)


def test_nginx_answers_503_with_retry_after_when_no_instance_answers(tmp_path: Path) -> None:
    """The edge's own 502 (an instance died mid-request) is the platform's 503 outage answer."""
    tls = tmp_path / "tls"
    tls.mkdir()
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(tls / "key.pem"),
            "-out",
            str(tls / "cert.pem"),
        ],
        capture_output=True,
        check=True,
    )
    dead, https, http = free_port(), free_port(), free_port()  # nothing listens on `dead`
    conf_d = tmp_path / "conf.d"
    conf_d.mkdir()
    (conf_d / "site.conf").write_text(
        render_nginx_site(
            (ROOT / "nginx" / "conf.d" / "thehotpotspot.conf").read_text(),
            upstreams=[dead],
            http_port=http,
            https_port=https,
            tls_dir=tls,
        )
    )
    main = tmp_path / "nginx.conf"
    main.write_text(
        render_nginx_main(
            (ROOT / "nginx" / "nginx.conf").read_text(),
            pid=tmp_path / "nginx.pid",
            logs=tmp_path,
            conf_d=conf_d,
            user=_nginx_user(),
        )
    )
    nginx = subprocess.Popen(
        ["nginx", "-c", str(main), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "nginx.stderr").open("wb"),
    )
    try:
        with httpx.Client(base_url=f"https://127.0.0.1:{https}", verify=False, timeout=10) as edge:
            assert wait_until(lambda: edge.get("/metrics").status_code == 404, 15), (
                tmp_path / "nginx.stderr"
            ).read_text()
            for method in ("POST", "GET"):
                answer = edge.request(method, "/api/v1/orders", json={"lines": []})
                assert answer.status_code == 503, (method, answer.status_code, answer.text)
                assert answer.headers["content-type"] == "application/problem+json"
                assert answer.headers["retry-after"] == "1"
                assert answer.json()["code"] == "no_instance_available"
                assert "strict-transport-security" in answer.headers
    finally:
        nginx.terminate()
        nginx.wait(10)


def test_a_connection_in_time_wait_does_not_hide_a_live_one_on_its_port() -> None:
    """The relay drill finds its leader by the lock connection's local port: a closed
    connection of the same port lingers in TIME_WAIT (inode 0) for a minute, listed before
    the live one about half the time (so ten rounds)."""
    import os

    from tests.drills.harness import port_inodes, port_sockets, socket_inodes

    for _ in range(10):
        servers = [socket.create_server(("127.0.0.1", 0)) for _ in range(2)]
        first = socket.socket()
        first.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        first.bind(("127.0.0.1", 0))
        port = first.getsockname()[1]
        first.connect(servers[0].getsockname())
        accepted, _ = servers[0].accept()
        first.close()  # the side closing first is the one left in TIME_WAIT
        accepted.close()
        live = socket.socket()
        live.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        live.bind(("127.0.0.1", port))
        live.connect(servers[1].getsockname())
        try:
            states = [state for state, _inode in port_sockets(port)]
            assert "06" in states, "the first connection is in TIME_WAIT"  # 06: TCP_TIME_WAIT
            inodes = port_inodes(port)
            assert inodes and inodes <= socket_inodes(os.getpid())
        finally:
            live.close()
            for server in servers:
                server.close()

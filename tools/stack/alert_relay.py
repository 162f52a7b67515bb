"""alert-relay: an Alertmanager webhook receiver that records every notification.

monitoring/alertmanager/alertmanager.yml sends critical alerts to
`http://alert-relay:8080/alerts/critical` and the rest to `/alerts/warning`. This receiver
appends each notification it gets, as one JSON object a line (`receiver`, `received_at`
and Alertmanager's payload), to a file, and answers:

    POST /alerts/<receiver>   record a notification (Alertmanager's webhook format)
    GET  /alerts              every notification recorded so far (a JSON list)
    GET  /health              200 "ok"

An operator can point any Alertmanager at it to see what would be paged, and bridge the
file to a chat or pager. Usage: python alert_relay.py PORT FILE
"""

from __future__ import annotations

import json
import sys
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MAX_BODY = 1 << 20


def make_handler(path: Path) -> type[BaseHTTPRequestHandler]:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/health":
                self._answer(200, b"ok\n", "text/plain")
            elif self.path == "/alerts":
                with lock:
                    lines = path.read_text().splitlines() if path.exists() else []
                records = [json.loads(line) for line in lines if line.strip()]
                self._answer(200, json.dumps(records).encode())
            else:
                self._answer(404, b'{"error":"not found"}')

        def do_POST(self) -> None:
            receiver = self.path.removeprefix("/alerts/")
            if not self.path.startswith("/alerts/") or not receiver or "/" in receiver:
                self._answer(404, b'{"error":"post to /alerts/<receiver>"}')
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length <= 0 or length > MAX_BODY:
                self._answer(400, b'{"error":"a JSON body of at most 1 MiB is needed"}')
                return
            try:
                payload = json.loads(self.rfile.read(length))
            except ValueError:
                self._answer(400, b'{"error":"the body is not JSON"}')
                return
            record = {
                "receiver": receiver,
                "received_at": datetime.now(UTC).isoformat(),
                "payload": payload,
            }
            with lock, path.open("a") as handle:
                handle.write(json.dumps(record) + "\n")
            self._answer(200, b'{"status":"recorded"}')

        def log_message(self, format: str, *args: object) -> None:
            sys.stderr.write(f"alert-relay: {self.address_string()} {format % args}\n")

    return Handler


def main() -> None:
    port, path = int(sys.argv[1]), Path(sys.argv[2])
    path.parent.mkdir(parents=True, exist_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(path))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()

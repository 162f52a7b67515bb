"""Pure ASGI middleware (no BaseHTTPMiddleware: it costs a large share of a fast read).

RequestContext: takes or sets X-Request-ID, records the RED metrics under the route
template, writes one access-log line, and enforces the request body limit (413).

FastReads: answers a few hot GETs (`/health`, the cached menu) from memory, without
FastAPI's routing and dependency solving, which cost several times the bare framework's
whole request on this FastAPI. A reader returns the complete answer or None, and on None
the request goes to the FastAPI route as usual; that route stays the reference (and the
OpenAPI description): a reader only ever gives the same bytes it would.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hotpot.http.problems import PROBLEM_CONTENT_TYPE, problem_body
from hotpot.telemetry.logging import REQUEST_ID, log_request
from hotpot.telemetry.metrics import REQUESTS

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
UNMATCHED_PATH = "<unmatched>"


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED_PATH


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


# status, raw headers (as Starlette's Response would send them), body
FastAnswer = tuple[int, list[tuple[bytes, bytes]], bytes]
FastRead = Callable[[Scope], FastAnswer | None]


class _RouteTemplate:
    """What RequestContext reads as `scope["route"]` for a request a FastRead answered."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path


def only_header(scope: Scope, name: bytes) -> tuple[bool, str | None]:
    """(False, None) when `name` comes more than once, else (True, its value or None)."""
    found: str | None = None
    for key, value in scope.get("headers", ()):
        if key == name:
            if found is not None:
                return False, None
            found = value.decode("latin-1")
    return True, found


class FastReads:
    def __init__(self, app: ASGIApp, reads: Mapping[str, FastRead]) -> None:
        self.app = app
        self.reads = dict(reads)
        self.templates = {path: _RouteTemplate(path) for path in reads}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not scope.get("root_path"):
            path = scope["path"]
            read = self.reads.get(path)
            answer = read(scope) if read is not None else None
            if answer is not None:
                status, headers, body = answer
                scope["route"] = self.templates[path]
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


class RequestContext:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = (
            incoming if incoming and _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        )
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500
        refused = False  # we answered 413 ourselves; the app's own answer is dropped

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if refused:
                return
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        async def refuse() -> None:
            nonlocal refused
            await self._too_large(send_wrapper)
            refused = True

        try:
            declared = _header(scope, b"content-length")
            if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
                await refuse()
                return
            received = 0

            async def receive_wrapper() -> Message:
                nonlocal received
                if refused:
                    return {"type": "http.disconnect"}
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > self.max_body_bytes:
                        # Answer now; to the app the client has gone away, so it stops reading.
                        await refuse()
                        return {"type": "http.disconnect"}
                return message

            await self.app(scope, receive_wrapper, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            method = str(scope.get("method", "GET"))
            path = _route_template(scope)
            REQUESTS.record(method, path, status, elapsed)
            log_request(method, scope.get("path", ""), path, status, int(elapsed * 1e9))
            REQUEST_ID.reset(token)

    async def _too_large(self, send: Send) -> None:
        body = problem_body(
            413, "body_too_large", f"the request body exceeds {self.max_body_bytes} bytes"
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

"""One JSON object per line, ECS format, on stdout; the request id on every line.

structlog lines and stdlib lines (uvicorn, SQLAlchemy, alembic) both go through
ecs-logging's formatters. A redaction step drops fields that could carry personal
data or secrets, so a careless `log.info(..., email=...)` cannot leak them.
"""

from __future__ import annotations

import contextvars
import datetime
import logging
import sys
import time
from collections.abc import MutableMapping
from contextvars import ContextVar
from json.encoder import encode_basestring_ascii as _json_string
from typing import Any

import ecs_logging
import structlog

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)

# Field names that must never reach a log line (checked case-insensitively, as substrings).
_REDACTED = (
    "password",
    "secret",
    "token",
    "authorization",
    "cookie",
    "email",
    "phone",
    "name_enc",
    "credential",
    "signature",
    "code",
    "key",
)
_ALLOWED = frozenset(
    {
        "http.request.id",
        "http.request.method",
        "http.response.status_code",
        "http.route",
        "url.path",
        "event",
        "event.duration",
        "error_code",
    }
)


def _redact(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event_dict):
        lowered = key.lower()
        if key not in _ALLOWED and any(word in lowered for word in _REDACTED):
            event_dict[key] = "[redacted]"
    return event_dict


def _add_request_id(
    _: Any, __: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    request_id = REQUEST_ID.get()
    if request_id is not None:
        event_dict.setdefault("http.request.id", request_id)
    return event_dict


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        request_id = REQUEST_ID.get()
        if request_id is not None:
            record.__dict__["http.request.id"] = request_id
        return True


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stdout is now (test capture swaps it), never a stale stream."""

    @property
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, _: Any) -> None:
        pass


# None until configure_logging runs (then the access line takes structlog's own path);
# else whether INFO lines are written at all.
_access_enabled: bool | None = None
_access_log = structlog.get_logger("hotpot.access")
_STRUCTLOG_CONTEXT_PREFIX = "structlog_"


def _bound_context() -> bool:
    return any(var.name.startswith(_STRUCTLOG_CONTEXT_PREFIX) for var in contextvars.copy_context())


def access_line(
    timestamp: float, request_id: str, method: str, path: str, route: str, status: int, ns: int
) -> str:
    """The access-log line, exactly as the structlog pipeline and ecs-logging write it."""
    stamp = datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC)
    return (
        f'{{"@timestamp":"{stamp.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]}Z","log.level":"info",'
        f'"message":"request","ecs.version":"{ecs_logging.ECS_VERSION}",'
        f'"event":{{"duration":{ns}}},"http":{{"request":{{"id":{_json_string(request_id)},'
        f'"method":{_json_string(method)}}},"response":{{"status_code":{status}}},'
        f'"route":{_json_string(route)}}},"url":{{"path":{_json_string(path)}}}}}'
    )


def log_request(method: str, path: str, route: str, status: int, ns: int) -> None:
    """One access-log line per request, without the structlog pipeline's per-call cost.

    The pipeline (a logger bound per call, the processors, ecs-logging's pure-Python
    JSON with its dotted-key expansion) cost several times a cached read. Its output for
    these fixed fields is written directly; with anything bound in structlog's context
    variables, or logging not configured, the line goes through structlog as before.
    """
    enabled = _access_enabled
    if enabled is False:
        return
    request_id = REQUEST_ID.get()
    if enabled is None or request_id is None or _bound_context():
        _access_log.info(
            "request",
            **{
                "http.request.method": method,
                "url.path": path,
                "http.route": route,
                "http.response.status_code": status,
                "event.duration": ns,
            },
        )
        return
    line = access_line(time.time(), request_id, method, path, route, status, ns)
    out = sys.stdout
    out.write(line + "\n")
    out.flush()


def configure_logging(level: str = "INFO") -> None:
    global _access_enabled
    numeric = logging.getLevelName(level.upper())
    _access_enabled = numeric <= logging.INFO
    handler = _StdoutHandler()
    handler.setFormatter(ecs_logging.StdlibFormatter(exclude_fields=["process", "log.original"]))
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # uvicorn's own access log repeats ours without the route template: keep ours only.
    logging.getLogger("uvicorn.access").disabled = True
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            _add_request_id,
            structlog.processors.format_exc_info,
            _redact,
            ecs_logging.StructlogFormatter(),  # type: ignore[list-item]
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        # No file given: each logger writes to the current sys.stdout.
        logger_factory=structlog.PrintLoggerFactory(),
        cache_logger_on_first_use=False,
    )

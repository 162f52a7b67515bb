"""One JSON object per line, ECS format, on stdout; the request id on every line.

structlog lines and stdlib lines (uvicorn, SQLAlchemy, alembic) both go through
ecs-logging's formatters. A redaction step drops fields that could carry personal
data or secrets, so a careless `log.info(..., email=...)` cannot leak them.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from contextvars import ContextVar
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


def configure_logging(level: str = "INFO") -> None:
    numeric = logging.getLevelName(level.upper())
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

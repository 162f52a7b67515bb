"""Errors as RFC 9457 `application/problem+json` with a stable machine-readable `code`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from hotpot.adapters.database import database_unavailable, is_unavailable
from hotpot.domain import errors as domain_errors

log = structlog.get_logger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    410: "Gone",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    423: "Locked",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def problem_body(status: int, code: str, detail: str, **extra: Any) -> bytes:
    body: dict[str, Any] = {
        "type": f"https://thehotpotspot.example/problems/{code}",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "code": code,
        "detail": detail,
    }
    body.update(extra)
    return orjson.dumps(body)


def problem_response(
    status: int,
    code: str,
    detail: str,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    return Response(
        problem_body(status, code, detail, **extra),
        status_code=status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=dict(headers or {}),
    )


def _loc(err: Mapping[str, Any]) -> list[str]:
    loc = [str(part) for part in err.get("loc", ())]
    # A union's missing or unknown tag is reported at the union itself: name its field.
    if err.get("type") in ("union_tag_invalid", "union_tag_not_found"):
        discriminator = str((err.get("ctx") or {}).get("discriminator", "")).strip("'")
        if discriminator.isidentifier():
            loc.append(discriminator)
    return loc


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for err in exc.errors():
        errors.append(
            {
                "loc": _loc(err),
                "msg": str(err.get("msg", "")),
                "type": str(err.get("type", "")),
            }
        )
    return errors


# The one place a domain refusal becomes an HTTP status (most specific kind first).
STATUS_OF_KIND: tuple[tuple[type[domain_errors.DomainError], int], ...] = (
    (domain_errors.Malformed, 400),
    (domain_errors.Invalid, 422),
    (domain_errors.Unauthenticated, 401),
    (domain_errors.Forbidden, 403),
    (domain_errors.NotFound, 404),
    (domain_errors.Conflict, 409),
    (domain_errors.Gone, 410),
    (domain_errors.Locked, 423),
    (domain_errors.RateLimited, 429),
    (domain_errors.Unavailable, 503),
)


def status_of(exc: domain_errors.DomainError) -> int:
    for kind, status in STATUS_OF_KIND:
        if isinstance(exc, kind):
            return status
    return 400  # a plain DomainError: the request as sent cannot be served


def domain_error_response(exc: domain_errors.DomainError) -> Response:
    headers: dict[str, str] = {}
    if isinstance(exc, domain_errors.RateLimited | domain_errors.Unavailable):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, domain_errors.Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    return problem_response(status_of(exc), exc.code, exc.detail, headers, **exc.extra)


async def _domain_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, domain_errors.DomainError)
    return domain_error_response(exc)


async def _validation_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = _validation_errors(exc)
    if any(err["type"] == "json_invalid" for err in errors):
        return problem_response(400, "malformed_json", "the request body is not valid JSON")
    return problem_response(
        422, "validation_error", "the request does not match the schema", errors=errors
    )


async def _http_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = {
        404: "not_found",
        405: "method_not_allowed",
        401: "unauthorized",
        403: "forbidden",
    }.get(exc.status_code, "http_error")
    return problem_response(exc.status_code, code, str(exc.detail), exc.headers)


async def _unhandled(_: Request, exc: Exception) -> Response:
    """Last resort: an answer, never a dropped connection; a database outage is a 503."""
    if is_unavailable(exc):
        return domain_error_response(database_unavailable(exc))
    log.error("unhandled error", error_type=type(exc).__name__, exc_info=exc)
    return problem_response(500, "internal_error", "an unexpected error occurred")


def install(app: FastAPI) -> None:
    app.add_exception_handler(Exception, _unhandled)
    app.add_exception_handler(domain_errors.DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    _document_refusals(app)


def _document_refusals(app: FastAPI) -> None:
    """Every operation documents the refusals any request can get: 400 `malformed_json`
    where it reads a JSON body, 422 `validation_error` everywhere (an unknown query
    parameter is one, see `http/query.py`)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            for methods in document.get("paths", {}).values():
                for operation in methods.values():
                    responses = operation.setdefault("responses", {})
                    if "requestBody" in operation:
                        responses.setdefault("400", PROBLEM_SCHEMA)
                    responses.setdefault("422", PROBLEM_SCHEMA)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


# Shared shape for documenting problem responses in OpenAPI.
PROBLEM_SCHEMA: dict[str, Any] = {
    "description": "Problem details",
    "content": {
        PROBLEM_CONTENT_TYPE: {
            "schema": {
                "type": "object",
                "required": ["type", "title", "status", "code", "detail"],
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "code": {"type": "string"},
                    "detail": {"type": "string"},
                    "errors": {"type": "array", "items": {"type": "object"}},
                },
            }
        }
    },
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the problem statuses an endpoint can answer with."""
    return {status: PROBLEM_SCHEMA for status in statuses}

"""Refusals the caller can act on, in the domain's words: a kind, a stable code, a detail.

Services raise these; the edge decides what each kind means in its protocol (the HTTP
mapping is `hotpot.http.problems`, the CLI prints the detail). `code` is stable for
clients; `detail` is for people; `extra` carries machine-readable context (for example
how many attempts are left).
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every refusal a service raises on purpose."""

    def __init__(self, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.extra = extra


class Malformed(DomainError):
    """The request itself cannot be read (for example a bad Idempotency-Key header)."""


class Invalid(DomainError):
    """The request is well-formed but breaks a rule about its values."""


class Unauthenticated(DomainError):
    """No valid credential: the caller must sign in (again)."""


class Forbidden(DomainError):
    """The caller is known but may not do this."""


class NotFound(DomainError):
    """No such thing (or none the caller may see)."""


class Conflict(DomainError):
    """The current state of things refuses this change."""


class Gone(DomainError):
    """It existed, and is no longer available (for example an expired receipt)."""


class Locked(DomainError):
    """Locked against further attempts (for example a receipt after five wrong codes)."""


class RateLimited(DomainError):
    """Too many attempts; the caller may try again after `retry_after` seconds."""

    def __init__(self, code: str, detail: str, *, retry_after: int, **extra: Any) -> None:
        super().__init__(code, detail, **extra)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """A dependency cannot serve now; the same call may work after `retry_after` seconds."""

    def __init__(self, code: str, detail: str, *, retry_after: int, **extra: Any) -> None:
        super().__init__(code, detail, **extra)
        self.retry_after = retry_after

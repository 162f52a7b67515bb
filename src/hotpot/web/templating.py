"""Rendering: one Jinja2 environment, the number formats, and the headers every page carries.

Templates are autoescaped; strings go through `_()` (gettext, null translations for now) so a
translator can add a catalogue without touching the templates. Amounts are formatted from
integers with integer arithmetic only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from hotpot.web import session

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

HTMX_VERSION = "2.0.11"

# No inline script or style anywhere: everything the page runs or wears is a file of this
# origin. htmx is configured (meta tag in base.html) not to inject its indicator style and
# not to evaluate strings, so this policy holds with htmx loaded.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    # Pages show one person's orders, wallet and activation codes: never cached.
    "Cache-Control": "no-store",
}


def gel(tetri: int) -> str:
    """Integer tetri as GEL with two decimals: 1234 -> '12.34', -5 -> '-0.05'."""
    sign = "-" if tetri < 0 else ""
    whole, part = divmod(abs(tetri), 100)
    return f"{sign}{whole:,}.{part:02d}"


def units(amount: int) -> str:
    """Token units (2 decimals, like GEL): 980 -> '9.80'."""
    return gel(amount)


def when(moment: datetime) -> str:
    """A moment in UTC to the second (governance windows can be short in tests)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def minutes_since(moment: datetime, now: datetime | None = None) -> int:
    current = now or datetime.now(UTC)
    return max(0, int((current - moment).total_seconds() // 60))


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(("html",)),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    env.filters["gel"] = gel
    env.filters["units"] = units
    env.filters["minutes_since"] = minutes_since
    env.filters["when"] = when
    env.globals["htmx_version"] = HTMX_VERSION
    return env


ENV = _environment()


def render(name: str, **values: Any) -> str:
    return ENV.get_template(name).render(**values)


def page(
    request: Request,
    name: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **values: Any,
) -> Response:
    """A full page or an htmx fragment, with the security headers and the CSRF cookie."""
    values.setdefault("actor", getattr(request.state, "web_actor", None))
    values.setdefault("csrf", session.csrf_token(request))
    values.setdefault("path", request.url.path)
    response = HTMLResponse(render(name, **values), status_code=status_code)
    response.headers.update(PAGE_HEADERS)
    if headers:
        response.headers.update(headers)
    session.apply_cookies(request, response)
    return response

"""The browser's session and CSRF protection.

The session cookie holds the very access token the API issues (HttpOnly, so no script can
read it; never in localStorage). Who the caller is comes from `http.auth.current_actor`,
the API's own resolution, fed the cookie instead of a Bearer header: one authorization.

CSRF: a random nonce lives in its own HttpOnly cookie; every form carries
HMAC(server secret, nonce | session token). A POST is accepted only when the field matches
the cookies it arrives with, so another site can neither read nor forge it, and a form
rendered before a sign-in or sign-out stops working.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from typing import Annotated
from urllib.parse import parse_qs, quote

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials
from starlette.responses import Response

from hotpot.accounts import service as accounts
from hotpot.context import AppContext
from hotpot.domain.access import Actor
from hotpot.domain.accounts import Tokens
from hotpot.domain.errors import Forbidden, Unauthenticated
from hotpot.http.auth import current_actor, till_actor
from hotpot.http.context import Ctx

SESSION_COOKIE = "hotpot_session"
# The API's refresh token, sent only to the pages (path /app/): a session outlives one
# access token, as a kitchen tablet on the wall needs.
REFRESH_COOKIE = "hotpot_refresh"
REFRESH_PATH = "/app/"
CSRF_COOKIE = "hotpot_csrf"
CSRF_FIELD = "csrf"
COOKIE_PATH = "/"
CSRF_MAX_AGE = 7 * 24 * 3600
# A rotated refresh token is answered from memory for this long: the requests a page makes
# at once (a poll and a tap) must not look like a stolen token coming back (reuse
# detection would revoke the whole family and sign the person out).
ROTATION_GRACE_SECONDS = 30.0


def _context(request: Request) -> AppContext:
    ctx = request.app.state.context
    assert isinstance(ctx, AppContext)
    return ctx


def cookie_secure(ctx: AppContext) -> bool:
    """Secure everywhere but plain-http development (a browser drops Secure cookies there)."""
    settings = ctx.settings
    return settings.is_production or settings.effective_public_base_url.startswith("https://")


def _csrf_key(ctx: AppContext) -> bytes:
    return hashlib.sha256(b"hotpot-web-csrf|" + ctx.settings.effective_jwt_secret.encode()).digest()


def _session_of(request: Request) -> str:
    pending = getattr(request.state, "new_session", None)
    if pending is not None:
        return str(pending)
    return request.cookies.get(SESSION_COOKIE, "")


def _nonce(request: Request) -> str:
    nonce = getattr(request.state, "csrf_nonce", None) or request.cookies.get(CSRF_COOKIE)
    if not nonce:
        nonce = secrets.token_urlsafe(24)
        request.state.csrf_nonce = nonce
        request.state.set_csrf = True
    return str(nonce)


def _expected(ctx: AppContext, nonce: str, session: str) -> str:
    message = f"{nonce}|{session}".encode()
    return hmac.new(_csrf_key(ctx), message, hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The token the forms of this response carry (a fresh nonce cookie if none yet)."""
    return _expected(_context(request), _nonce(request), _session_of(request))


def start_session(
    request: Request, access_token: str, max_age: int, refresh_token: str | None = None
) -> None:
    request.state.new_session = access_token
    request.state.session_max_age = max_age
    request.state.new_refresh = refresh_token or ""


def end_session(request: Request) -> None:
    request.state.new_session = ""
    request.state.session_max_age = 0
    request.state.new_refresh = ""


def apply_cookies(request: Request, response: Response) -> None:
    """Write the cookies this request changed onto its response (once)."""
    if getattr(request.state, "cookies_applied", False):
        return
    request.state.cookies_applied = True
    ctx = _context(request)
    secure = cookie_secure(ctx)
    if getattr(request.state, "set_csrf", False):
        response.set_cookie(
            CSRF_COOKIE,
            request.state.csrf_nonce,
            max_age=CSRF_MAX_AGE,
            path=COOKIE_PATH,
            secure=secure,
            httponly=True,
            samesite="strict",
        )
    new_session = getattr(request.state, "new_session", None)
    if new_session is not None:
        if new_session:
            # Lax, not Strict: a receipt's QR opened from a camera app is a top-level
            # navigation from elsewhere, and must arrive signed in. Every POST is still
            # checked against the CSRF token.
            response.set_cookie(
                SESSION_COOKIE,
                new_session,
                max_age=int(request.state.session_max_age),
                path=COOKIE_PATH,
                secure=secure,
                httponly=True,
                samesite="lax",
            )
        else:
            response.delete_cookie(
                SESSION_COOKIE, path=COOKIE_PATH, secure=secure, httponly=True, samesite="lax"
            )
    new_refresh = getattr(request.state, "new_refresh", None)
    if new_refresh:
        response.set_cookie(
            REFRESH_COOKIE,
            new_refresh,
            max_age=ctx.settings.refresh_token_ttl_seconds,
            path=REFRESH_PATH,
            secure=secure,
            httponly=True,
            samesite="lax",
        )
    elif new_refresh is not None and request.cookies.get(REFRESH_COOKIE):
        response.delete_cookie(
            REFRESH_COOKIE, path=REFRESH_PATH, secure=secure, httponly=True, samesite="lax"
        )


async def actor_from_token(ctx: AppContext, token: str, *, terminals: bool = False) -> Actor:
    """The API's own resolution of an access token: a terminal's only where the till's
    pages take it (as the API's till routes do), checked against the whitelist."""
    resolve = till_actor if terminals else current_actor
    return await resolve(ctx, HTTPAuthorizationCredentials(scheme="Bearer", credentials=token))


_rotations: dict[str, tuple[float, Tokens]] = {}
_rotation_locks: dict[str, asyncio.Lock] = {}


async def _rotated(ctx: AppContext, refresh_token: str) -> Tokens | None:
    """The API's refresh (rotation), once per token even when requests ask at once."""
    digest = hashlib.sha256(refresh_token.encode()).hexdigest()
    lock = _rotation_locks.setdefault(digest, asyncio.Lock())
    async with lock:
        now = time.monotonic()
        for key, (at, _) in list(_rotations.items()):
            if now - at > ROTATION_GRACE_SECONDS:
                del _rotations[key]
        if digest in _rotations:
            return _rotations[digest][1]
        try:
            tokens = await accounts.refresh(ctx, refresh_token)
        except Unauthenticated:
            return None
        finally:
            _rotation_locks.pop(digest, None)
        _rotations[digest] = (now, tokens)
        return tokens


async def actor_from_cookie(request: Request, ctx: AppContext, *, terminals: bool = False) -> Actor:
    token = request.cookies.get(SESSION_COOKIE)
    refresh = request.cookies.get(REFRESH_COOKIE)
    if token:
        try:
            actor = await actor_from_token(ctx, token, terminals=terminals)
        except Unauthenticated:
            if not refresh:
                raise
        else:
            request.state.web_actor = actor
            return actor
    if not refresh:
        raise Unauthenticated("unauthenticated", "please sign in")
    tokens = await _rotated(ctx, refresh)
    if tokens is None:
        end_session(request)
        raise Unauthenticated("session_expired", "your session has ended: please sign in again")
    start_session(request, tokens.access_token, tokens.expires_in, tokens.refresh_token)
    actor = await actor_from_token(ctx, tokens.access_token, terminals=terminals)
    request.state.web_actor = actor
    return actor


async def web_actor(request: Request, ctx: Ctx) -> Actor:
    return await actor_from_cookie(request, ctx)


async def till_web_actor(request: Request, ctx: Ctx) -> Actor:
    """A signed-in person or a whitelisted POS terminal: for the till's pages only."""
    return await actor_from_cookie(request, ctx, terminals=True)


async def maybe_web_actor(request: Request, ctx: Ctx) -> Actor | None:
    """Whoever is signed in, if anyone, on a public page (a terminal sees what anyone sees)."""
    if not (request.cookies.get(SESSION_COOKIE) or request.cookies.get(REFRESH_COOKIE)):
        return None
    try:
        return await actor_from_cookie(request, ctx, terminals=True)
    except Unauthenticated:
        return None


WebActor = Annotated[Actor, Depends(web_actor)]
TillWebActor = Annotated[Actor, Depends(till_web_actor)]
MaybeWebActor = Annotated[Actor | None, Depends(maybe_web_actor)]


class FormData(dict[str, list[str]]):
    """A checked form: field -> values (a field may repeat)."""

    def one(self, name: str, default: str = "") -> str:
        values = self.get(name)
        return values[0].strip() if values else default


async def checked_form(request: Request, ctx: Ctx) -> FormData:
    """The urlencoded body of a POST, refused (403) unless its CSRF token is right."""
    body = await request.body()
    if request.headers.get("content-type", "").split(";")[0].strip() not in (
        "application/x-www-form-urlencoded",
        "",
    ):
        raise Forbidden("csrf_failed", "this form was not sent by the app's own page")
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    sent = (fields.get(CSRF_FIELD) or [""])[0]
    nonce = request.cookies.get(CSRF_COOKIE, "")
    session = request.cookies.get(SESSION_COOKIE, "")
    if not nonce or not hmac.compare_digest(sent, _expected(ctx, nonce, session)):
        raise Forbidden(
            "csrf_failed",
            "this form has expired or was not sent by the app's own page: reload and try again",
        )
    return FormData(fields)


Form = Annotated[FormData, Depends(checked_form)]


TILL_PREFIX = "/app/till"


def signin_url(next_path: str) -> str:
    """Where a visitor without a session goes: the till's pages to the terminal sign-in."""
    if next_path == TILL_PREFIX or next_path.startswith(TILL_PREFIX + "/"):
        return f"{TILL_PREFIX}/signin?next=" + quote(next_path, safe="/")
    return "/app/signin?next=" + quote(next_path, safe="/")


def safe_next(value: str) -> str:
    """Only a path of this app: never an open redirect to another site."""
    if value.startswith("/app/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/app/"

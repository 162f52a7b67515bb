"""Who is calling: a person (staff or customer) or a POS terminal, from a Bearer token."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from hotpot.domain.access import AccessRole, Actor
from hotpot.domain.errors import Forbidden, Unauthenticated
from hotpot.http.context import Ctx
from hotpot.network import service as network
from hotpot.security.tokens import TokenInvalid, decode_access_token

_bearer = HTTPBearer(auto_error=False, description="JWT access token from /api/v1/auth/*")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


# A POS terminal's token opens only the till's routes, which declare it by taking
# `TillActor` (or `MaybeActor` on a public route); every other route refuses it here, once,
# so a route added later is closed to terminals unless it says otherwise.
TERMINAL_ROUTES = "record a sale, read and print its receipts, set its node's availability"


async def _authenticate(
    ctx: Ctx, credentials: HTTPAuthorizationCredentials | None, *, terminals: bool
) -> Actor:
    if credentials is None or credentials.scheme.lower() != "bearer":
        # Unauthenticated answers 401 with WWW-Authenticate: Bearer.
        raise Unauthenticated("unauthenticated", "a Bearer access token is required")
    try:
        claims = decode_access_token(ctx.settings.effective_jwt_secret, credentials.credentials)
        role = AccessRole(claims.role)
    except (TokenInvalid, ValueError) as exc:
        raise Unauthenticated("invalid_token", "the access token is invalid or expired") from exc
    if role is AccessRole.TERMINAL:
        if not terminals:
            raise Forbidden("forbidden", f"a POS terminal may only {TERMINAL_ROUTES}")
        await network.require_whitelisted(ctx, claims.subject)
    return Actor(role=role, id=claims.subject, node_ids=frozenset(claims.node_ids))


async def current_actor(ctx: Ctx, credentials: Credentials) -> Actor:
    """A signed-in person (staff or customer); a terminal's token is refused with 403."""
    return await _authenticate(ctx, credentials, terminals=False)


CurrentActor = Annotated[Actor, Depends(current_actor)]


async def till_actor(ctx: Ctx, credentials: Credentials) -> Actor:
    """A signed-in person or a whitelisted POS terminal: for the till's routes only."""
    return await _authenticate(ctx, credentials, terminals=True)


TillActor = Annotated[Actor, Depends(till_actor)]


async def optional_actor(ctx: Ctx, credentials: Credentials) -> Actor | None:
    """For public routes that show more to a signed-in caller: no token is anonymous (a bad
    one is still 401: the caller meant to sign in). A terminal sees what anyone sees."""
    if credentials is None:
        return None
    return await _authenticate(ctx, credentials, terminals=True)


MaybeActor = Annotated[Actor | None, Depends(optional_actor)]


def require_roles(*roles: AccessRole) -> Callable[..., Awaitable[Actor]]:
    allowed = frozenset(roles)

    async def dependency(actor: CurrentActor) -> Actor:
        if actor.role not in allowed:
            raise Forbidden(
                "forbidden",
                f"this action needs one of the roles: {', '.join(sorted(allowed))}",
            )
        return actor

    return dependency


def client_address(request: Request, trusted_hops: int) -> str:
    """The caller's address; X-Forwarded-For is believed only behind trusted proxies."""
    if trusted_hops > 0:
        forwarded = request.headers.get("x-forwarded-for", "")
        hops = [part.strip() for part in forwarded.split(",") if part.strip()]
        if len(hops) >= trusted_hops:
            return hops[-trusted_hops]
    return request.client.host if request.client else "unknown"


OwnerOnly = Annotated[Actor, Depends(require_roles(AccessRole.OWNER))]

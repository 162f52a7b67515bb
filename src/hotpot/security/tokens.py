"""Short-lived JWT access tokens (HS256 only) and opaque refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from uuid import UUID, uuid4

import jwt

ALGORITHM = "HS256"
ISSUER = "hotpot"


class TokenInvalid(Exception):
    """The token is missing, malformed, tampered with, expired or of the wrong kind."""


@dataclass(frozen=True)
class Claims:
    subject: UUID
    role: str
    node_ids: tuple[UUID, ...]


def issue_access_token(
    secret: str, claims: Claims, ttl_seconds: int, now: float | None = None
) -> str:
    issued = int(now if now is not None else time.time())
    payload = {
        "iss": ISSUER,
        "sub": str(claims.subject),
        "role": claims.role,
        "nodes": [str(node) for node in claims.node_ids],
        "typ": "access",
        "iat": issued,
        "exp": issued + ttl_seconds,
        "jti": uuid4().hex,
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def decode_access_token(secret: str, token: str) -> Claims:
    try:
        # A fixed algorithm list: `alg=none` and key-confusion tokens are refused here.
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
        if payload.get("typ") != "access":
            raise TokenInvalid("not an access token")
        return Claims(
            subject=UUID(payload["sub"]),
            role=str(payload["role"]),
            node_ids=tuple(UUID(node) for node in payload.get("nodes", [])),
        )
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise TokenInvalid(str(exc)) from exc


def new_refresh_token() -> tuple[str, bytes]:
    """A random refresh token and the hash we store (the token itself is never stored)."""
    token = secrets.token_urlsafe(32)
    return token, refresh_token_hash(token)


def refresh_token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()

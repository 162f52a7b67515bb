"""People on the platform and the credentials a sign-in hands out, as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True)
class Account:
    """An account as its owner may see it: personal data already decrypted."""

    id: UUID
    role: str
    email: str | None
    phone: str | None
    name: str | None
    wallet_address: str | None
    wallet_custodial: bool
    kyc_status: str
    node_id: UUID | None
    created_at: datetime | None = None  # when they registered (how long KYC has waited)


@dataclass(frozen=True)
class Tokens:
    """What a sign-in returns: an access token, and a refresh token for people (not tills)."""

    access_token: str
    expires_in: int
    refresh_token: str | None = None

"""What a request handler can reach: the adapters built once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from hotpot.accounts.pii import PiiVault
from hotpot.adapters.cache import Cache
from hotpot.adapters.database import Database
from hotpot.config import Settings
from hotpot.http.ratelimit import RateLimiter


@dataclass
class AppContext:
    settings: Settings
    db: Database
    cache: Cache
    limiter: RateLimiter
    vault: PiiVault


def get_context(request: Request) -> AppContext:
    ctx = request.app.state.context
    assert isinstance(ctx, AppContext)
    return ctx


Ctx = Annotated[AppContext, Depends(get_context)]

"""The sign-in rate-limit policy (docs/access.md), one copy for every edge that signs in
(the API's routes and the web pages), so no page is a way around it."""

from __future__ import annotations

from hotpot.context import AppContext
from hotpot.security.pii import normalize_email


async def check_password_login(ctx: AppContext, login: str, address: str) -> None:
    """Tight per (name, address), so guesses from elsewhere cannot lock the owner out; per
    address across names against spraying; loose per name across addresses, with a
    doubling wait, against guessing from many addresses."""
    settings = ctx.settings
    name = ctx.vault.lookup_hash("login", normalize_email(login)).hex()[:32]
    await ctx.limiter.check("login", f"{name}|{address}", settings.rate_limit_login_per_minute, 60)
    await ctx.limiter.check(
        "login-address", address, settings.rate_limit_login_address_per_minute, 60
    )
    await ctx.limiter.check(
        "login-name", name, settings.rate_limit_login_name_per_hour, 3600, backoff=True
    )


async def check_terminal_login(ctx: AppContext, terminal_id: object, address: str) -> None:
    """Buckets apart from password logins: wrong passwords from a restaurant's shared
    address must not keep its tills from signing in."""
    limit = ctx.settings.rate_limit_terminal_login_per_minute
    await ctx.limiter.check("terminal-login", f"{terminal_id}|{address}", limit, 60)
    await ctx.limiter.check("terminal-login-address", address, limit * 6, 60)


async def check_siwe_nonce(ctx: AppContext, address: str) -> None:
    limit = ctx.settings.rate_limit_login_per_minute * 3
    await ctx.limiter.check("siwe-nonce", address, limit, 60)


async def check_siwe_login(ctx: AppContext, address: str) -> None:
    await ctx.limiter.check("siwe", address, ctx.settings.rate_limit_siwe_per_minute, 60)

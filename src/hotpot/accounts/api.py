"""HTTP routes of the accounts slice."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from hotpot.accounts import limits, service
from hotpot.accounts.schemas import (
    AccountOut,
    LoginIn,
    RefreshIn,
    RegisterIn,
    SiweIn,
    SiweNonceOut,
    StaffIn,
    TerminalLoginIn,
    TokenPair,
)
from hotpot.http.auth import CurrentActor, OwnerOnly, client_address
from hotpot.http.context import Ctx
from hotpot.http.pagination import Paging
from hotpot.http.problems import errors
from hotpot.http.schemas import Page, page_from

router = APIRouter(prefix="/api/v1", tags=["accounts"], responses=errors(422))


async def _limit(ctx: Ctx, request: Request, name: str, limit: int, window: int) -> None:
    subject = client_address(request, ctx.settings.trusted_proxy_hops)
    await ctx.limiter.check(name, subject, limit, window)


@router.post(
    "/auth/register",
    status_code=201,
    response_model=AccountOut,
    responses=errors(409, 429),
)
async def register(body: RegisterIn, ctx: Ctx, request: Request) -> AccountOut:
    await _limit(ctx, request, "register", ctx.settings.rate_limit_register_per_hour, 3600)
    return AccountOut.model_validate(await service.register_customer(ctx, body))


@router.post("/auth/login", response_model=TokenPair, responses=errors(401, 429))
async def login(body: LoginIn, ctx: Ctx, request: Request) -> TokenPair:
    address = client_address(request, ctx.settings.trusted_proxy_hops)
    await limits.check_password_login(ctx, body.login, address)
    return TokenPair.model_validate(await service.login(ctx, body.login, body.password))


@router.post("/auth/refresh", response_model=TokenPair, responses=errors(401, 429))
async def refresh(body: RefreshIn, ctx: Ctx, request: Request) -> TokenPair:
    await _limit(ctx, request, "refresh", ctx.settings.rate_limit_login_per_minute * 3, 60)
    return TokenPair.model_validate(await service.refresh(ctx, body.refresh_token))


@router.post("/auth/logout", status_code=204, response_class=Response)
async def logout(body: RefreshIn, ctx: Ctx) -> Response:
    await service.logout(ctx, body.refresh_token)
    return Response(status_code=204)


@router.get("/auth/siwe/nonce", response_model=SiweNonceOut, responses=errors(429))
async def siwe_nonce(ctx: Ctx, request: Request) -> SiweNonceOut:
    await limits.check_siwe_nonce(ctx, client_address(request, ctx.settings.trusted_proxy_hops))
    nonce = await service.siwe_nonce(ctx)
    return SiweNonceOut(nonce=nonce, expires_in=ctx.settings.siwe_nonce_ttl_seconds)


@router.post("/auth/siwe", response_model=TokenPair, responses=errors(401, 429))
async def siwe_login(body: SiweIn, ctx: Ctx, request: Request) -> TokenPair:
    await limits.check_siwe_login(ctx, client_address(request, ctx.settings.trusted_proxy_hops))
    return TokenPair.model_validate(await service.siwe_login(ctx, body.message, body.signature))


@router.post(
    "/auth/terminal",
    response_model=TokenPair,
    responses=errors(401, 403, 429),
)
async def terminal_login(body: TerminalLoginIn, ctx: Ctx, request: Request) -> TokenPair:
    address = client_address(request, ctx.settings.trusted_proxy_hops)
    await limits.check_terminal_login(ctx, body.terminal_id, address)
    # Terminals and their credentials are the network's; their sessions are kept here.
    return TokenPair.model_validate(
        await service.terminal_login(ctx, body.terminal_id, body.secret)
    )


@router.get("/me", response_model=AccountOut, responses=errors(401, 404))
async def me(ctx: Ctx, actor: CurrentActor) -> AccountOut:
    return AccountOut.model_validate(await service.me(ctx, actor.id))


@router.post(
    "/staff",
    status_code=201,
    response_model=AccountOut,
    responses=errors(401, 403, 404, 409),
)
async def create_staff(body: StaffIn, ctx: Ctx, _: OwnerOnly) -> AccountOut:
    return AccountOut.model_validate(await service.create_staff(ctx, body))


@router.get("/staff", response_model=Page[AccountOut], responses=errors(401, 403))
async def list_staff(ctx: Ctx, _: OwnerOnly, paging: Paging) -> Page[AccountOut]:
    found = await service.staff_page(ctx, paging.limit, paging.offset)
    return page_from(found, AccountOut, paging.limit, paging.offset)

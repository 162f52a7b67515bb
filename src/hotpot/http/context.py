"""The request handler's way to the application's context (a FastAPI dependency)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from hotpot.context import AppContext


async def get_context(request: Request) -> AppContext:
    # async: FastAPI runs a plain `def` dependency on a worker thread, on every request.
    ctx = request.app.state.context
    assert isinstance(ctx, AppContext)
    return ctx


Ctx = Annotated[AppContext, Depends(get_context)]

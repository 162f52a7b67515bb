"""The baseline: a bare Starlette app that returns the platform's own bytes.

`./dev bench` fetches the platform's menu (body and ETag) and health body, writes them to
files and starts this app on uvicorn with the same worker count; the ratio platform /
baseline is the share of the framework's throughput the platform keeps.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

# The network menu, and one node's menu (with portions left): (body, ETag) each.
MENUS = {
    key: (Path(os.environ[f"BENCH_{key}_FILE"]).read_bytes(), os.environ[f"BENCH_{key}_ETAG"])
    for key in ("MENU", "NODE_MENU")
}
HEALTH = Path(os.environ["BENCH_HEALTH_FILE"]).read_bytes()


async def menu(request: Request) -> Response:
    body, etag = MENUS["NODE_MENU" if "node_id" in request.query_params else "MENU"]
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


async def health(request: Request) -> Response:
    return Response(HEALTH, media_type="application/json")


app = Starlette(routes=[Route("/api/v1/menu", menu), Route("/health", health)])

"""Issue 11: no route makes FastAPI run a plain function on a worker thread per request.

A sync dependency or endpoint costs a thread hand-off per call (anyio's `to_thread`,
2.5 % of a worker's CPU under the vote load); every one on the request path is async."""

from __future__ import annotations

import inspect
from typing import Any

from fastapi.routing import APIRoute

from hotpot.app import create_app
from hotpot.config import Settings


def _runs_on_a_thread(call: Any) -> bool:
    if inspect.isclass(call):
        return False  # a model or a class FastAPI builds: no thread of its own
    if inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call):
        return False
    dunder = getattr(call, "__call__", None)  # noqa: B004  (an instance with async __call__)
    return not (inspect.iscoroutinefunction(dunder) or inspect.isasyncgenfunction(dunder))


def _sync_calls(dependant: Any) -> list[str]:
    found = []
    for sub in dependant.dependencies:
        if sub.call is not None and _runs_on_a_thread(sub.call):
            found.append(getattr(sub.call, "__qualname__", repr(sub.call)))
        found += _sync_calls(sub)
    return found


def _api_routes(routes: list[Any]) -> list[APIRoute]:
    """The app's API routes, those of included routers too."""
    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):  # FastAPI's included router
            found += _api_routes(route.original_router.routes)
    return found


def test_every_route_and_dependency_is_async() -> None:
    settings = Settings(hotpot_env="development", database_url="postgresql://x@127.0.0.1:1/x")  # type: ignore[arg-type]
    app = create_app(settings)
    routes = _api_routes(app.routes)
    assert len(routes) > 50  # the walk found the included routers' routes
    offenders = set()
    for route in routes:
        if _runs_on_a_thread(route.endpoint):
            offenders.add(f"{route.path}: endpoint {route.endpoint.__qualname__}")
        offenders.update(f"{route.path}: {name}" for name in _sync_calls(route.dependant))
    assert not offenders, sorted(offenders)

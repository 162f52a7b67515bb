"""A service's refusal on a page: the problem `detail` in words, never a stack trace.

Pages call the services the API calls, so they meet the same `DomainError`s. This route
class turns them into HTML with the status `http.problems` gives the API: a missing or
expired session goes to the sign-in page, anything else is shown on an error page.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import structlog
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from hotpot.adapters.database import database_unavailable, is_unavailable
from hotpot.domain import errors as domain_errors
from hotpot.http.problems import status_of
from hotpot.web import session
from hotpot.web.i18n import N_
from hotpot.web.templating import page

log = structlog.get_logger(__name__)


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def error_page(request: Request, exc: domain_errors.DomainError) -> Response:
    status = status_of(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, domain_errors.RateLimited | domain_errors.Unavailable):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, domain_errors.Unauthenticated):
        target = session.signin_url(
            request.url.path + (f"?{request.url.query}" if request.url.query else "")
        )
        if request.method == "GET" and not _is_htmx(request):
            response = RedirectResponse(target, status_code=303)
            session.apply_cookies(request, response)
            return response
        # An htmx poll whose session ran out: let htmx navigate the whole page.
        headers["HX-Redirect"] = target
    template = "fragments/error.html" if _is_htmx(request) else "error.html"
    return page(
        request, template, status_code=status, headers=headers, status=status, detail=exc.detail
    )


class HtmlErrorsRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                response = await handler(request)
                # A refreshed session reaches redirects and images too.
                session.apply_cookies(request, response)
                return response
            except domain_errors.DomainError as exc:
                return error_page(request, exc)
            except RequestValidationError:
                return page(
                    request,
                    "error.html",
                    status_code=422,
                    status=422,
                    detail=N_("this address or form does not match what the page expects"),
                )
            except HTTPException:
                raise
            except Exception as exc:
                if is_unavailable(exc):
                    return error_page(request, database_unavailable(exc))
                log.error(
                    "page failed",
                    path=request.url.path,
                    error_type=type(exc).__name__,
                    exc_info=exc,
                )
                return page(
                    request,
                    "error.html",
                    status_code=500,
                    status=500,
                    detail=N_("an unexpected error occurred; please try again"),
                )

        return guarded

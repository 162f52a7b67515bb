"""The language switch: a form on every page that remembers the reader's language."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from hotpot.domain.errors import Invalid
from hotpot.web import i18n, session
from hotpot.web.common import pages_router
from hotpot.web.session import Form

router = pages_router()


@router.post("/language")
async def choose_language(request: Request, form: Form) -> Response:
    lang = form.one("lang")
    if lang not in i18n.languages():
        raise Invalid("unknown_language", f"no catalogue for {lang!r}: choose one of the list")
    response = RedirectResponse(session.safe_next(form.one("next")), status_code=303)
    # Not a secret, but nothing in the page needs to read it either.
    response.set_cookie(
        i18n.LANG_COOKIE,
        lang,
        max_age=i18n.LANG_MAX_AGE,
        path=session.COOKIE_PATH,
        secure=session.cookie_secure(request.app.state.context),
        httponly=True,
        samesite="lax",
    )
    return response

"""The API's browsable documentation (/docs, /redoc), served with no outside host.

FastAPI's own pages load Swagger UI and ReDoc from a public CDN (and ReDoc its fonts from
Google), so on an offline or locked-down network they stay blank. These pages load the
same files from the service: the Swagger UI and ReDoc builds that the `fastapi-offline`
package ships, mounted under /docs/assets.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

ASSETS = "/docs/assets"
# The files of the pinned fastapi-offline release (pyproject.toml): a newer release that
# renames one fails tests/integration/test_docs_offline.py, not a user's browser.
_FILES = Path(str(files("fastapi_offline") / "static"))
SWAGGER_JS = "swagger-ui-bundle.js"
SWAGGER_CSS = "swagger-ui.css"
REDOC_JS = "redoc.standalone.js"
FAVICON = "favicon.png"
# Swagger UI's default asks validator.swagger.io to check the document: not from here.
_SWAGGER_PARAMETERS = {"validatorUrl": None}


def install(app: FastAPI, *, docs_url: str = "/docs", redoc_url: str = "/redoc") -> None:
    """Mount the assets and the two pages; build the app with docs_url=redoc_url=None."""
    openapi_url = app.openapi_url
    assert openapi_url is not None  # the pages show the app's own document
    app.mount(ASSETS, StaticFiles(directory=_FILES), name="docs-assets")

    def base(request: Request) -> str:
        # Behind a proxy that strips a prefix, links keep it (as FastAPI's own pages do).
        return str(request.scope.get("root_path", "")).rstrip("/")

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = base(request)
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS}/{SWAGGER_JS}",
            swagger_css_url=f"{root}{ASSETS}/{SWAGGER_CSS}",
            swagger_favicon_url=f"{root}{ASSETS}/{FAVICON}",
            swagger_ui_parameters={**(app.swagger_ui_parameters or {}), **_SWAGGER_PARAMETERS},
        )

    @app.get(redoc_url, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = base(request)
        return get_redoc_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS}/{REDOC_JS}",
            redoc_favicon_url=f"{root}{ASSETS}/{FAVICON}",
            with_google_fonts=False,
        )

"""/docs and /redoc load everything from the service itself: no CDN, no outside host.

On an offline or locked-down network a page that loads its script from a CDN is blank;
these check that every URL the pages reference is same-origin and is served here.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

ORIGIN = "http://testserver"  # the `client` fixture's base URL
CONTENT_TYPES = {
    ".js": ("text/javascript", "application/javascript"),
    ".css": ("text/css",),
    ".png": ("image/png",),
}


class _References(HTMLParser):
    """Every URL a page loads: script src, link href, img src."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href", "img": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)


def references(html: str) -> list[str]:
    parser = _References()
    parser.feed(html)
    return parser.urls


async def page(client: httpx.AsyncClient, path: str) -> str:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response.text


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_the_page_names_no_outside_host(client: httpx.AsyncClient, path: str) -> None:
    html = await page(client, path)
    urls = references(html)
    assert len(urls) >= 2, urls  # at least the script and the favicon
    for url in urls:
        absolute = urlsplit(urljoin(f"{ORIGIN}{path}", url))
        assert (absolute.scheme, absolute.netloc) == ("http", "testserver"), url
    # Nor anywhere else in the page (inline script, a font link): no absolute URL at all.
    assert not re.search(r"(https?:)?//[A-Za-z0-9]", html.replace("<!DOCTYPE html>", "")), html


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_every_asset_the_page_loads_is_served_here(
    client: httpx.AsyncClient, path: str
) -> None:
    for url in references(await page(client, path)):
        response = await client.get(urljoin(f"{ORIGIN}{path}", url))
        assert response.status_code == 200, url
        suffix = url[url.rindex(".") :]
        content_type = response.headers["content-type"].split(";")[0]
        assert content_type in CONTENT_TYPES[suffix], (url, content_type)
        assert len(response.content) > 1_000, url  # the real file, not an error page


async def test_swagger_ui_loads_its_bundle_and_the_apis_document(
    client: httpx.AsyncClient,
) -> None:
    html = await page(client, "/docs")
    script = next(url for url in references(html) if url.endswith(".js"))
    bundle = (await client.get(script)).text
    assert "SwaggerUIBundle" in bundle  # the script the page's inline code calls
    assert "url: '/openapi.json'" in html
    spec = (await client.get("/openapi.json")).json()
    assert spec["info"]["title"] == "The Hot Pot Spot API"
    # Swagger UI's default would send the document to validator.swagger.io.
    assert '"validatorUrl": null' in html


async def test_the_pages_are_not_part_of_the_api_document(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert not [path for path in paths if path.startswith(("/docs", "/redoc"))]

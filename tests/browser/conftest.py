"""The browser suite: Debian's headless Chromium, driven by Playwright, against the app in
a real uvicorn server on loopback (the session's database and Redis).

Run by `./dev test-browser` (tools/browser-tools.sh installs chromium). Screenshots go to
$HOTPOT_SCREENSHOTS when set (`HOTPOT_SCREENSHOTS=docs/web ./dev test-browser` refreshes
the ones in docs/web.md), else to a temporary folder.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright

from hotpot.config import Settings
from hotpot.context import AppContext
from tests.support import LiveServer, World

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = (
    Path(os.environ.get("HOTPOT_TOOLS_DIR") or Path.home() / ".cache/hotpot/tools")
    / "axe-core-4.14.1"
    / "axe.min.js"
)
# As the machine notes say: without the background-networking flags Chromium keeps
# dialling out, and this network refuses it.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 780}
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", (e) => {
  const target = e.target && e.target.outerHTML ? e.target.outerHTML.slice(0, 300) : "";
  console.error(`CSP violation: ${e.violatedDirective} ${e.sample} ${target}`);
}, true);
"""
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="session")
def live(settings: Settings) -> Iterator[LiveServer]:
    with LiveServer(settings) as server:
        yield server


@pytest.fixture(scope="session")
async def live_world(live: LiveServer, ctx: AppContext) -> AsyncIterator[World]:
    # Staff and nodes through the live server's API (the owner is made through the
    # session's own context: the same database).
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as client:
        yield await World.create(client, ctx)


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Browser]:
    assert Path(CHROMIUM).exists(), "run tools/browser-tools.sh (./dev test-browser does)"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        await browser.close()


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wanted = os.environ.get("HOTPOT_SCREENSHOTS")
    folder = Path(wanted) if wanted else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Person:
    """One browser context (its own cookies) at one screen size."""

    def __init__(self, page: Page, base: str, shots: Path, name: str) -> None:
        self.page = page
        self.base = base
        self.shots = shots
        self.name = name
        # What the browser refused or failed at: a CSP violation shows up here.
        self.problems: list[str] = []
        page.on(
            "console",
            lambda message: (
                self.problems.append(f"{page.url}: {message.text} {message.location}")
                if message.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda error: self.problems.append(str(error)))

    async def go(self, path: str) -> None:
        await self.page.goto(self.base + path)

    async def shot(self, name: str) -> None:
        await self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)


@pytest.fixture
async def person(chromium: Browser, live: LiveServer, shots: Path) -> AsyncIterator[object]:
    contexts = []

    async def make(name: str, viewport: dict[str, int] = PHONE, bypass_csp: bool = False) -> Person:
        # bypass_csp only for the accessibility check, which injects axe-core inline.
        context = await chromium.new_context(
            viewport=viewport,  # type: ignore[arg-type]
            bypass_csp=bypass_csp,
        )
        contexts.append(context)
        page = await context.new_page()
        # Names the element and directive of any CSP violation in the console.
        await page.add_init_script(CSP_REPORTER)
        return Person(page, live.url, shots, name)

    yield make
    for context in contexts:
        await context.close()

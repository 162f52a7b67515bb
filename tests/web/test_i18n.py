"""The translation catalogue: up to date with the pages, and the language each reader gets."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hotpot.web import catalogue, i18n
from tests.web.conftest import Browser, csrf_of

# Strings of base.html that ka/messages.po translates (the navigation).
SIGN_IN_KA = "შესვლა"
SKIP_KA = "შინაარსზე გადასვლა"


def _ids(catalog: object) -> set[str]:
    return {str(message.id) for message in catalog if message.id}  # type: ignore[attr-defined]


def test_messages_pot_has_every_string_of_the_pages() -> None:
    extracted = _ids(catalogue.extract())
    committed = _ids(catalogue.read(catalogue.TEMPLATE))
    assert extracted, "the extraction found no strings at all"
    missing = extracted - committed
    assert not missing, f"not in messages.pot (run ./dev i18n): {sorted(missing)}"
    assert committed == extracted, "strings no longer used (run ./dev i18n)"
    # Each language has exactly the template's strings.
    for lang in i18n.languages():
        assert _ids(catalogue.read(i18n.catalogue_path(lang), lang)) == committed, lang
    # And the files are byte for byte what `./dev i18n` writes (and they compile).
    assert catalogue.main(["--check"]) == 0


def test_a_new_string_in_a_template_is_caught(tmp_path: Path) -> None:
    """What the test above does when someone adds `_()` and forgets ./dev i18n."""
    copy = tmp_path / "web"
    shutil.copytree(catalogue.WEB / "templates", copy / "templates")
    (copy / "templates" / "new.html").write_text('<p>{{ _("A string nobody extracted") }}</p>')
    (copy / "extra.py").write_text('from hotpot.web.i18n import N_\nLABEL = N_("A marked label")\n')
    extracted = _ids(catalogue.extract(copy))
    committed = _ids(catalogue.read(catalogue.TEMPLATE))
    assert extracted - committed == {"A string nobody extracted", "A marked label"}


def test_the_catalogue_is_deterministic() -> None:
    """Two runs write the same bytes: no dates or line numbers that move."""
    first = catalogue.planned(i18n.languages())
    second = catalogue.planned(i18n.languages())
    assert first == second
    template = first[catalogue.TEMPLATE].decode()
    assert "POT-Creation-Date: 2026-12-01 00:00+0000" in template
    assert ".html:" not in template  # a location names the file, not the line


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ka", "ka"),
        ("ka-GE,ka;q=0.9,en;q=0.8", "ka"),
        ("en;q=0.5, ka;q=0.9", "ka"),
        ("ka;q=0, en", "en"),
        ("fr-FR,fr;q=0.9", None),
        ("", None),
        ("ka;q=nonsense", None),
    ],
)
def test_accept_language_picks_the_best_supported_language(
    header: str, expected: str | None
) -> None:
    assert i18n.from_accept_language(header) == expected


async def test_accept_language_ka_renders_georgian(browser_factory: Browser) -> None:
    browser = await browser_factory()
    page = await browser.get("/app/signin", headers={"Accept-Language": "ka-GE,ka;q=0.9"})
    assert page.status_code == 200
    assert '<html lang="ka">' in page.text
    assert f"<h1>{SIGN_IN_KA}</h1>" in page.text
    assert SKIP_KA in page.text
    # A string the translator has not done yet is the English one, not a blank.
    assert "Email or phone" in page.text


async def test_an_unknown_language_falls_back_to_english(browser_factory: Browser) -> None:
    browser = await browser_factory()
    page = await browser.get("/app/signin", headers={"Accept-Language": "fr-FR, de;q=0.5"})
    assert '<html lang="en">' in page.text
    assert "<h1>Sign in</h1>" in page.text
    assert SIGN_IN_KA not in page.text
    # A cookie naming no catalogue is ignored too.
    browser.cookies.set("hotpot_lang", "zz")
    page = await browser.get("/app/signin")
    assert '<html lang="en">' in page.text


async def test_the_language_switch_remembers_the_choice(browser_factory: Browser) -> None:
    browser = await browser_factory()
    shown = await browser.get("/app/signin", headers={"Accept-Language": "en"})
    assert 'name="lang" value="ka"' in shown.text
    switched = await browser.post(
        "/app/language",
        data={"csrf": csrf_of(shown.text), "lang": "ka", "next": "/app/signin"},
    )
    assert switched.status_code == 303
    assert switched.headers["location"] == "/app/signin"
    cookie = switched.headers["set-cookie"]
    assert cookie.startswith("hotpot_lang=ka")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    # The cookie wins over the browser's Accept-Language.
    page = await browser.get("/app/signin", headers={"Accept-Language": "en"})
    assert '<html lang="ka">' in page.text
    assert f"<h1>{SIGN_IN_KA}</h1>" in page.text
    # And back: a language name is written in its own language.
    back = await browser.post(
        "/app/language", data={"csrf": csrf_of(page.text), "lang": "en", "next": "/app/signin"}
    )
    assert back.status_code == 303
    assert '<html lang="en">' in (await browser.get("/app/signin")).text


async def test_the_language_switch_needs_csrf_and_a_known_language(
    browser_factory: Browser,
) -> None:
    browser = await browser_factory()
    shown = await browser.get("/app/")
    missing = await browser.post("/app/language", data={"lang": "ka", "next": "/app/"})
    assert missing.status_code == 403
    assert "form has expired" in missing.text
    assert "hotpot_lang" not in browser.cookies
    unknown = await browser.post(
        "/app/language", data={"csrf": csrf_of(shown.text), "lang": "xx", "next": "/app/"}
    )
    assert unknown.status_code == 422
    assert "no catalogue for" in unknown.text
    # Never an open redirect: `next` elsewhere comes back to the app.
    away = await browser.post(
        "/app/language",
        data={"csrf": csrf_of(shown.text), "lang": "ka", "next": "https://evil.example/"},
    )
    assert away.headers["location"] == "/app/"

"""The pages' languages: gettext catalogues (Babel) and the choice of one per request.

The catalogues are `locale/<lang>/LC_MESSAGES/messages.po`, compiled in memory at start
(no .mo files in the tree to go stale). A message without a translation falls back to
the English msgid, so a half-translated catalogue is still a whole page.

The language is the `hotpot_lang` cookie (set by the language switch) when it names a
catalogue, else the best of Accept-Language, else English.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from starlette.requests import Request

LOCALE = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
DEFAULT = "en"
LANG_COOKIE = "hotpot_lang"
LANG_MAX_AGE = 365 * 24 * 3600
# Each language names itself, so a reader finds their own whatever the page is in.
NAMES = {"en": "English", "ka": "ქართული"}


def N_(message: str) -> str:
    """Marks a string of `web/*.py` for the catalogue; a template translates it when shown
    (`|translate`), in the reader's language."""
    return message


def catalogue_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def languages() -> tuple[str, ...]:
    """The languages with a catalogue, English first."""
    found = sorted(p.name for p in LOCALE.iterdir() if catalogue_path(p.name).is_file())
    return (DEFAULT, *[lang for lang in found if lang != DEFAULT])


def compiled(po: Path) -> Translations:
    """A .po file compiled in memory (what `pybabel compile` would write as .mo)."""
    with po.open("rb") as source:
        catalog = read_po(source, locale=po.parent.parent.name, domain=DOMAIN)
    buffer = io.BytesIO()
    # Fuzzy entries are a translator's guesses: left out, as gettext's msgfmt does.
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


@cache
def translations(lang: str) -> Translations:
    return compiled(catalogue_path(lang))


def from_accept_language(header: str) -> str | None:
    """The supported language the browser likes best (RFC 9110 q-values), if any."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().split("-")[0].lower()
        if primary in languages() and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else None


def language_of(request: Request) -> str:
    chosen = getattr(request.state, "lang", None)
    if chosen:
        return str(chosen)
    cookie = request.cookies.get(LANG_COOKIE, "")
    if cookie in languages():
        return cookie
    return from_accept_language(request.headers.get("accept-language", "")) or DEFAULT

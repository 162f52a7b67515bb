"""The translation catalogue's upkeep: `./dev i18n` (python -m hotpot.web.catalogue).

1. extract every `_()` string of the templates and every `_()`/`N_()` string of `web/*.py`
   into `locale/messages.pot`;
2. update each language's `locale/<lang>/LC_MESSAGES/messages.po` from it (new strings
   appear with an empty msgstr, strings no longer used are dropped);
3. compile each catalogue in memory and check it (placeholders, syntax), as the app does
   at start.

Deterministic, so the lead can re-run it after merging branches that each added strings:
no dates are written (the headers' dates are fixed), locations name the file without a
line number, and messages are sorted. `--check` writes nothing and fails when the files
are not what a run would write (CI, tests). `--add LANG` starts a new language.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from hotpot.web import i18n

WEB = Path(__file__).resolve().parent
TEMPLATE = i18n.LOCALE / f"{i18n.DOMAIN}.pot"
# Extraction rules (what `pybabel extract -F` reads from a mapping file), relative to web/.
METHOD_MAP = [
    ("templates/**.html", "jinja2.ext:babel_extract"),
    ("*.py", "python"),
]
OPTIONS_MAP = {
    # As templating.py builds its environments: whitespace control changes {% trans %} ids.
    "templates/**.html": {"trim_blocks": "true", "lstrip_blocks": "true"},
}
# A fixed date: a run must not change the files when no string changed.
FIXED_DATE = datetime(2026, 12, 1, tzinfo=UTC)
PROJECT = "The Hot Pot Spot"


def _header(locale: str | None) -> str:
    if locale is None:
        return (
            f"# Translations template of the {PROJECT} pages.\n"
            "# Written by `./dev i18n` from the templates and web/*.py: do not edit by hand."
        )
    return (
        f"# The pages of {PROJECT} in {Locale.parse(locale).english_name}: fill in the msgstr\n"
        "# lines (docs/web.md, Strings).\n"
        "# An empty msgstr shows the English text."
    )


def _catalog(locale: str | None = None) -> Catalog:
    return Catalog(
        locale=locale,
        header_comment=_header(locale),
        domain=i18n.DOMAIN,
        project=PROJECT,
        version="1",
        copyright_holder=PROJECT,
        creation_date=FIXED_DATE,
        revision_date=FIXED_DATE,
        fuzzy=False,
    )


def extract(root: Path = WEB) -> Catalog:
    """Every translatable string of the pages (under `root`, web/ itself unless a test
    hands in a copy), as the template catalogue."""
    catalog = _catalog()
    found = extract_from_dir(
        str(root),
        METHOD_MAP,
        OPTIONS_MAP,
        keywords=DEFAULT_KEYWORDS,
        strip_comment_tags=True,
    )
    for filename, lineno, message, comments, context in found:
        # Written without the line (`_po_text`): moving a string is no catalogue change.
        catalog.add(
            message,
            None,
            [(f"web/{filename}", lineno)],
            auto_comments=comments,
            context=context,
        )
    return catalog


def _po_text(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(
        buffer,
        catalog,
        width=100,
        sort_output=True,
        include_lineno=False,
        ignore_obsolete=True,
    )
    return buffer.getvalue()


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=locale, domain=i18n.DOMAIN)


def updated(template: Catalog, lang: str) -> Catalog:
    """The language's catalogue with the template's strings (translations kept)."""
    path = i18n.catalogue_path(lang)
    catalog = read(path, lang) if path.exists() else _catalog(lang)
    # No fuzzy guesses: a translator sees an empty msgstr, never a wrong one shown live.
    catalog.update(template, no_fuzzy_matching=True)
    catalog.creation_date = FIXED_DATE
    catalog.revision_date = FIXED_DATE
    catalog.fuzzy = False
    return catalog


def problems(lang: str) -> list[str]:
    """What a compile of the catalogue finds wrong (the app compiles it the same way)."""
    path = i18n.catalogue_path(lang)
    found = []
    for message, errors in read(path, lang).check():
        for error in errors:
            found.append(f"{path}: {message.id!r}: {error}")
    try:
        write_mo(io.BytesIO(), read(path, lang))
    except Exception as exc:  # any failure to compile is reported, not raised
        found.append(f"{path}: does not compile: {exc}")
    return found


def planned(langs: Iterable[str]) -> dict[Path, bytes]:
    """The files a run writes: the template and each language's catalogue."""
    template = extract()
    files = {TEMPLATE: _po_text(template)}
    for lang in langs:
        files[i18n.catalogue_path(lang)] = _po_text(updated(template, lang))
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./dev i18n", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; fail if stale")
    parser.add_argument("--add", metavar="LANG", help="start a catalogue for LANG (e.g. ka)")
    args = parser.parse_args(argv)
    langs = list(i18n.languages())
    if args.add and args.add not in langs:
        langs.append(args.add)
    stale = []
    for path, text in planned(langs).items():
        if path.exists() and path.read_bytes() == text:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text)
    found = [problem for lang in langs for problem in problems(lang)]
    for problem in found:
        print(problem, file=sys.stderr)
    for path in stale:
        verb = "out of date" if args.check else "written"
        print(f"i18n: {path.relative_to(WEB.parent.parent.parent)} {verb}", file=sys.stderr)
    if found or (args.check and stale):
        return 1
    for lang in langs:
        catalog = read(i18n.catalogue_path(lang), lang)
        done = sum(1 for message in catalog if message.id and message.string)
        print(f"i18n: {lang}: {done} of {len(catalog)} strings translated")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The UI's translation catalogs: extract the text, update and check the catalogs (Babel).

Only the `.po` files are kept (`formwork/translations/<lang>/LC_MESSAGES/messages.po`); the
app compiles them itself at start (`i18n.compile_catalogs`). For people changing UI text:

    python -m formwork.views.catalog update     # extract, merge into every .po, list new text
    python -m formwork.views.catalog check      # exit 1 if any text lacks a translation
    python -m formwork.views.catalog init ja    # start a catalog for a new language

Text is extracted from `formwork/**.py` (`_`, `gettext`, `ngettext`, `lazy_gettext`, `N_`, …)
and `formwork/views/templates/**.html` (Jinja's `_()`, `gettext()`, `{% trans %}`).
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import write_po

from .i18n import DOMAIN, TRANSLATIONS, po_files, read
from .messages import placeholders

PACKAGE = TRANSLATIONS.parent
PROJECT = "Formwork"
MAINTAINERS = "Formwork maintainers"

#: Which files hold UI text and how to read them (paths relative to the package); the first
#: matching pattern wins.
METHODS = [
    ("views/templates/**.html", "jinja2.ext:babel_extract"),
    ("**.py", "python"),
]
OPTIONS = {"views/templates/**.html": {"silent": "false"}}
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None, "lazy_ngettext": (1, 2)}
#: Comments starting with this, just before a text, are shown to translators.
COMMENT_TAGS = ("TRANSLATORS:",)


# reading and writing


def extract(package: Path = PACKAGE) -> Catalog:
    """Every UI text of the package's code and templates, as a template catalog."""
    catalog = Catalog(project=PROJECT, fuzzy=False)
    found = extract_from_dir(
        package,
        METHODS,
        OPTIONS,
        keywords=KEYWORDS,
        comment_tags=COMMENT_TAGS,
        strip_comment_tags=True,
    )
    for filename, lineno, message, comments, context in found:
        location = (f"{package.name}/{Path(filename).as_posix()}", lineno)
        catalog.add(message, None, [location], auto_comments=comments, context=context)
    return catalog


def write(path: Path, catalog: Catalog) -> bool:
    """Write `catalog` as a .po file; False when the file already held exactly that."""
    buffer = io.BytesIO()
    # No line numbers and no wrapping: a moved or long text does not rewrite the file.
    write_po(buffer, catalog, width=0, include_lineno=False, ignore_obsolete=False)
    data = buffer.getvalue()
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return True


# update, init and check


def update(root: Path | None = None, template: Catalog | None = None) -> dict[str, list[str]]:
    """Merge the extracted text into every catalog under `root`: new text is added
    untranslated, translations are kept, text no longer used is kept as obsolete (`#~`).

    Returns, per language, the texts that still need a translation."""
    template = template or extract()
    todo = {}
    for language, path in po_files(root or TRANSLATIONS):
        catalog = read(path, language)
        created = catalog.creation_date  # keep the header stable between runs
        _revive(catalog, template)
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        catalog.creation_date = created
        write(path, catalog)
        todo[language] = [_msgid(m) for m in catalog if m.id and not _translated(m)]
    return todo


def init(language: str, root: Path | None = None, template: Catalog | None = None) -> Path:
    """Start the catalog of a new language with every text untranslated."""
    path = (root or TRANSLATIONS) / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if path.exists():
        raise FileExistsError(f"{path} exists; run `update` to refresh it")
    template = template or extract()
    catalog = Catalog(
        locale=language,
        domain=DOMAIN,
        project=PROJECT,
        fuzzy=False,
        header_comment=f"# {language} translations of {PROJECT}'s UI; see docs/i18n.md.",
        msgid_bugs_address=MAINTAINERS,
        last_translator=MAINTAINERS,
        language_team=MAINTAINERS,
    )
    catalog.update(template, no_fuzzy_matching=True)
    write(path, catalog)
    return path


def problems(template: Catalog, catalog: Catalog) -> list[str]:
    """What keeps `catalog` from translating every text of `template`: a missing or empty
    translation, a fuzzy one, or one whose placeholders differ from the English text's."""
    found = []
    for message in template:
        if not message.id:
            continue
        entry = catalog.get(message.id, context=message.context)
        where = ", ".join(f"{file}:{line}" for file, line in message.locations)
        if entry is None:
            found.append(f"missing: {_msgid(message)!r} ({where})")
        elif not _translated(entry):
            found.append(f"untranslated: {_msgid(message)!r} ({where})")
    for entry in catalog:
        if not entry.id:
            continue
        if entry.fuzzy:
            found.append(f"fuzzy: {_msgid(entry)!r}")
        elif _translated(entry):
            found.extend(f"{error}: {_msgid(entry)!r}" for error in _placeholder_errors(entry))
    return found


def check(root: Path | None = None, template: Catalog | None = None) -> dict[str, list[str]]:
    """`problems` of every catalog under `root`, by language (empty lists when all is well)."""
    template = template or extract()
    return {
        language: problems(template, read(path, language))
        for language, path in po_files(root or TRANSLATIONS)
    }


# helpers


def _revive(catalog: Catalog, template: Catalog) -> None:
    """Bring back the obsolete translation of a text that is used again (Babel would add it
    untranslated and keep the old entry as obsolete)."""
    for message in template:
        if not message.id or catalog.get(message.id, context=message.context) is not None:
            continue
        key = _msgid(message) if message.context is None else (_msgid(message), message.context)
        old = catalog.obsolete.pop(key, None)
        if old is not None:
            catalog[old.id] = old


def _translated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, tuple | list) else [message.string]
    return all(strings)


def _msgid(message: Message) -> str:
    return message.id[0] if isinstance(message.id, tuple | list) else message.id


def _placeholder_errors(message: Message) -> Iterator[str]:
    """Brace placeholders (`{count}`, used by store and input messages) must be kept;
    Babel checks the `%(name)s` ones (`Message.check`)."""
    ids = message.id if isinstance(message.id, tuple | list) else [message.id]
    strings = message.string if isinstance(message.string, tuple | list) else [message.string]
    wanted = placeholders(ids[0])
    if wanted:
        for text in strings:
            if placeholders(text) != wanted:
                yield f"placeholders {sorted(placeholders(text))} instead of {sorted(wanted)}"
    for error in message.check():
        yield str(error)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m formwork.views.catalog", description="The UI's translation catalogs."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("update", help="extract UI text and merge it into every catalog")
    commands.add_parser("check", help="exit 1 when a text lacks a translation")
    new = commands.add_parser("init", help="start the catalog of a new language")
    new.add_argument("language", help="e.g. ja, fr, zh_Hant")
    args = parser.parse_args(argv)

    if args.command == "init":
        print(f"created {init(args.language)}; translate it, then run `check`")
        return 0
    if args.command == "update":
        for language, texts in update().items():
            print(f"{language}: {len(texts)} text(s) to translate")
            for text in texts:
                print(f"  {text!r}")
        return 0
    failed = False
    for language, found in check().items():
        print(f"{language}: {'ok' if not found else f'{len(found)} problem(s)'}")
        for problem in found:
            print(f"  {problem}")
        failed = failed or bool(found)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""The UI's languages: Flask-Babel with catalogs in `formwork/translations`, and a switch.

UI text is written in English in the code and templates (`_("Save")`) and translated by the
catalogs; config labels come in the config's own locales. The language is the one the user
chose with the switch (kept in the session), else the app's default locale. Dates and
numbers are formatted for that locale, times in the FORMWORK_TIMEZONE zone.

Only `.po` catalogs are kept with the code. At start the app compiles them into
`<instance>/translations` (again only when a `.po` changed) and points Flask-Babel there, so
a fresh clone, a `git pull` or an edited `.po` never meets a stale `.mo`. Templates get the
`error_text` filter (`messages.error_text`): an error message in the user's language.
Templates translate through `translate` (the same catalogs, found once per request).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Blueprint, Flask, current_app, redirect, request, session
from flask_babel import Babel
from werkzeug.wrappers import Response

from ..auth.session import safe_next
from . import translate
from .context import LOCALE_KEY, chosen_locale
from .messages import error_text

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
DOMAIN = "messages"

language = Blueprint("language", __name__)


def select_locale() -> str:
    # Babel spells regions with an underscore (zh_CN); configs use BCP 47's hyphen (zh-CN).
    return chosen_locale().replace("-", "_")


@language.post("/language")
def switch() -> Response:
    """Remember the chosen language and go back to the page the user was on."""
    model = current_app.extensions["formwork"].model
    chosen = request.form.get("locale", "")
    if chosen in model.locales:
        session[LOCALE_KEY] = chosen
    return redirect(safe_next(request.form.get("next")))


def init_app(app: Flask, timezone: str) -> None:
    compiled = compile_catalogs(TRANSLATIONS, Path(app.instance_path) / "translations")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(compiled))
    app.config["BABEL_DEFAULT_TIMEZONE"] = timezone
    Babel(app, locale_selector=select_locale)
    translate.install(app)
    app.add_template_filter(error_text, "error_text")
    app.add_template_global(error_text, "error_text")
    app.register_blueprint(language)


def po_files(root: Path = TRANSLATIONS) -> Iterator[tuple[str, Path]]:
    """(language, path) of each catalog under `root`."""
    for po in sorted(root.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        yield po.parent.parent.name, po


def read(path: Path, language: str) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, locale=language, domain=DOMAIN)


def compile_catalogs(source: Path, target: Path) -> Path:
    """Compile each `.po` under `source` into a `.mo` under `target` (the folder to give
    Flask-Babel), unless the `.mo` was made from that very file version already.

    A `.mo` carries its `.po`'s modification time, so any other time means it is stale. Each
    file is written aside and renamed, so app processes starting together never read half a
    file. Fuzzy translations are left out (they are guesses, not translations)."""
    for language, po in po_files(source):
        mo = target / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
        stamp = po.stat().st_mtime_ns
        if mo.exists() and mo.stat().st_mtime_ns == stamp:
            continue
        mo.parent.mkdir(parents=True, exist_ok=True)
        catalog = read(po, language)
        with tempfile.NamedTemporaryFile(dir=mo.parent, suffix=".tmp", delete=False) as file:
            write_mo(file, catalog, use_fuzzy=False)
        os.utime(file.name, ns=(stamp, stamp))
        os.replace(file.name, mo)
    return target

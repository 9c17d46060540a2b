"""The UI's languages: Flask-Babel with catalogs in `formwork/translations`, and a switch.

UI text is written in English in the code and templates (`_("Save")`) and translated by the
catalogs; config labels come in the config's own locales. The language is the one the user
chose with the switch (kept in the session), else the app's default locale. Dates and
numbers are formatted for that locale, times in the FORMWORK_TIMEZONE zone.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, current_app, redirect, request, session
from flask_babel import Babel
from werkzeug.wrappers import Response

from ..auth.session import safe_next

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
LOCALE_KEY = "fw_locale"

language = Blueprint("language", __name__)


def select_locale() -> str:
    model = current_app.extensions["formwork"].model
    chosen = session.get(LOCALE_KEY)
    return chosen if chosen in model.locales else model.default_locale


@language.post("/language")
def switch() -> Response:
    """Remember the chosen language and go back to the page the user was on."""
    model = current_app.extensions["formwork"].model
    chosen = request.form.get("locale", "")
    if chosen in model.locales:
        session[LOCALE_KEY] = chosen
    return redirect(safe_next(request.form.get("next")))


def init_app(app: Flask, timezone: str) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    app.config["BABEL_DEFAULT_TIMEZONE"] = timezone
    Babel(app, locale_selector=select_locale)
    app.register_blueprint(language)

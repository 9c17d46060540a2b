"""Web views. For now one home page listing the app's entities; the UI issue builds the rest.

Templates live in `templates/` (the base layout is `_base.html`), static files in `static/`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, render_template
from flask_htmx import HTMX
from sqlalchemy import func, select

home = Blueprint("home", __name__)


@home.get("/")
def index() -> str:
    runtime = current_app.extensions["formwork"]
    model = runtime.model
    locale = model.default_locale
    rows = []
    with runtime.db.read() as conn:
        for entity in model.entities.values():
            table = runtime.tables[entity.name]
            count = conn.execute(select(func.count()).select_from(table)).scalar_one()
            rows.append((entity.label.get(locale), entity.name, len(entity.fields), count))
    return render_template("home.html", version=model.version, rows=rows)


@home.get("/healthz")
def health() -> dict[str, str]:
    return {"status": "ok"}


def _site_context() -> dict[str, Any]:
    """What the base layout needs on every page: the app's title and language."""
    model = current_app.extensions["formwork"].model
    locale = model.default_locale
    return {"site_title": model.title.get(locale), "locale": locale}


def init_app(app: Flask) -> None:
    HTMX(app)
    app.register_blueprint(home)
    app.context_processor(_site_context)

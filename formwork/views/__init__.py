"""Web views: the home page, the generated record pages, languages and error pages.

Templates live in `templates/` (the base layout is `_base.html`), static files in `static/`.
Every page is server-rendered Jinja; htmx (vendored in `static/vendor/`) swaps partials that
are real templates included by the full pages.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, request, url_for

from . import errors, fragments, i18n, memo
from .admin import bp as admin_config
from .context import actor, can, entity_label, locale, model, template_globals
from .dashboards import dashboards
from .flows import flows
from .my_work import my_work
from .my_work import page as my_work_page
from .records import records

home = Blueprint("home", __name__)


@home.get("/")
def index() -> str:
    """The home page, "my work": to-dos, approval tasks and shortcuts (see `my_work`)."""
    return my_work_page()


@home.get("/healthz")
def health() -> dict[str, str]:
    return {"status": "ok"}


def navigation() -> list[Any]:
    """The menu's entities that the signed-in user may read."""
    app = model()
    return [app.entity(name) for name in app.navigation if can("read", app.entity(name))]


def _menu() -> list[tuple[str, str, str]]:
    """(entity, label, list URL) of each menu entry: the same for everyone with the same
    roles and language until the config changes, so worked out once for them (see `memo`;
    the URLs also depend on where the app is mounted, which is part of the key)."""
    return [
        (e.name, entity_label(e, plural=True), url_for("records.list_view", entity=e.name))
        for e in navigation()
    ]


def _site_context() -> dict[str, Any]:
    """What the base layout needs on every page: the app's title, languages and menu."""
    app = model()
    current = locale()
    menu = memo.per_config("menu", request.script_root, _menu) if actor() is not None else []
    return {
        "site_title": app.title.get(current),
        "locale": current,
        "locales": [(code, LANGUAGE_NAMES.get(code, code)) for code in app.locales],
        "menu": menu,
        "here": request.full_path.rstrip("?"),
        **template_globals(),
    }


#: How each language names itself in the switch.
LANGUAGE_NAMES = {"zh": "中文", "en": "English", "ja": "日本語", "ko": "한국어", "fr": "Français"}


def init_app(app: Flask) -> None:
    from flask_htmx import HTMX

    HTMX(app)
    i18n.init_app(app, app.extensions["formwork"].settings.timezone)
    errors.init_app(app)
    app.register_blueprint(home)
    app.register_blueprint(records)
    app.register_blueprint(flows)
    app.register_blueprint(my_work)
    app.register_blueprint(dashboards)
    app.register_blueprint(admin_config)
    app.context_processor(_site_context)
    app.add_template_global(fragments.fragment, "fragment")

"""Cheap UI translation: the request's Flask-Babel catalog, looked up once per locale.

Flask-Babel's `gettext` finds the catalog anew on every call (the context, the domain, the
locale and its name: ~6 µs), and a template's `_()` goes through two more layers on top; a
page translates dozens of strings. Here the catalog Flask-Babel picked is remembered on
Flask-Babel's own per-request state, beside the locale it was picked for, so every later
call of the request costs a dictionary look-up. `force_locale` puts another locale object in
place, which does not match the remembered one: the catalog is looked up again, and again
when the block ends. `install` gives templates the same functions (Jinja's "newstyle"
gettext: the text is always a format string, escaped on the way in).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from babel import Locale
from babel.support import NullTranslations
from flask import Flask, g
from flask_babel import get_locale, get_translations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

#: Where Flask-Babel keeps its per-request state (its locale) on `g`.
_BABEL_STATE = "_flask_babel"
T = TypeVar("T")


def babel_locale() -> Locale | None:
    """Flask-Babel's locale of the request (`get_locale`), read straight from its state once
    it has settled it."""
    state = g.get(_BABEL_STATE)
    found = getattr(state, "babel_locale", None) if state is not None else None
    return found if found is not None else get_locale()


def translations() -> NullTranslations:
    """The catalog of the current locale (Flask-Babel's choice), found once per locale."""
    state = g.get(_BABEL_STATE)
    if state is not None:
        remembered = getattr(state, "fw_translations", None)
        if remembered is not None and remembered[0] is getattr(state, "babel_locale", None):
            return remembered[1]
    found = get_translations()  # also settles the locale, on the state it creates
    state = g.get(_BABEL_STATE)
    if state is not None and getattr(state, "babel_locale", None) is not None:
        state.fw_translations = (state.babel_locale, found)
    return found


def per_locale(name: str, make: Callable[[Locale | None], T]) -> T:
    """`make(locale)` for the request's Babel locale, remembered under `name` beside that
    locale on Flask-Babel's state (as `translations` is): made again for another locale."""
    state = g.get(_BABEL_STATE)
    if state is not None:
        remembered = getattr(state, name, None)
        if remembered is not None and remembered[0] is getattr(state, "babel_locale", None):
            return remembered[1]  # type: ignore[no-any-return]
    current = get_locale()  # also settles the locale, on the state it creates
    value = make(current)
    state = g.get(_BABEL_STATE)
    if current is not None and getattr(state, "babel_locale", None) is current:
        setattr(state, name, (current, value))
    return value


def gettext(string: str, **variables: Any) -> str:
    """`string` translated, with `variables` put in (as Flask-Babel's `gettext`)."""
    text = translations().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """The singular or plural form for `num`, translated (as Flask-Babel's `ngettext`)."""
    variables.setdefault("num", num)
    return translations().ungettext(singular, plural, num) % variables


@pass_context
def _template_gettext(context: Context, string: str, **variables: Any) -> str:
    text = translations().ugettext(string)
    if context.eval_ctx.autoescape:
        text = Markup(text)
    # A text without "%" is the same after formatting with no variables: skip it.
    return text % variables if variables or "%" in text else text


@pass_context
def _template_ngettext(
    context: Context, singular: str, plural: str, num: int, **variables: Any
) -> str:
    variables.setdefault("num", num)
    text = translations().ungettext(singular, plural, num)
    if context.eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


def install(app: Flask) -> None:
    """Templates' `_`, `gettext` and `ngettext` become these (after Flask-Babel's set-up,
    which installs its own; the meaning is the same)."""
    app.jinja_env.globals.update(
        _=_template_gettext, gettext=_template_gettext, ngettext=_template_ngettext
    )

"""Names the admin config templates use besides the site-wide ones.

t_label(raw, fallback)        a label as written in the document (text or per-locale
                              mapping) in the current language
formula_check(entity, src, expect)   the formula editor's check, for the first render
evaluable_entities()          entities whose records the formula editor can pick
type_name(type)               what a formula gives, in words
colour_choices()              the named colours of chips, for colour selects
dom_of(doc_path)              the id of the input of a problem's path
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from ...metamodel.model import Label
from ..context import model, runtime, text
from . import bp
from .formula_tools import Check, check_source
from .formulas import draft_model
from .problems import dom_id

#: The colour names chips know (static/formwork.css); any #rrggbb is accepted too.
COLOURS = ("green", "teal", "blue", "purple", "pink", "red", "orange", "yellow", "gray", "brown")


@bp.context_processor
def admin_globals() -> dict[str, Any]:
    return {
        "t_label": label_text,
        "formula_check": formula_check,
        "evaluable_entities": evaluable_entities,
        "type_name": type_name,
        "colour_choices": colour_choices,
        "options_pairs": options_pairs,
        "dom_of": dom_id,
        "draft_site_status": lambda: runtime().site.status,
    }


def label_text(raw: Any, fallback: Any = "") -> str:
    """A raw label in the current language (the default locale's text for plain text)."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, dict) and raw:
        texts = {str(k): str(v) for k, v in raw.items()}
        return text(Label(texts), str(fallback)) or str(fallback)
    return str(fallback) if fallback is not None else ""


def formula_check(entity: str, source: Any, expect: str | None) -> Check:
    return check_source(draft_model(), entity, source if isinstance(source, str) else "", expect)


def evaluable_entities() -> list[str]:
    """Entities whose records can be picked (running entities that are not child rows)."""
    return [name for name, e in model().entities.items() if not e.child_of]


def type_name(kind: str | None) -> str:
    """What a formula gives, in words."""
    names = {
        "number": _("a number"),
        "text": _("text"),
        "bool": _("true or false"),
        "date": _("a date"),
        "datetime": _("a date and time"),
        "list": _("a list of choices"),
        "link": _("a record"),
        "null": _("nothing"),
    }
    return names.get(kind or "", kind or "")


def options_pairs(values: Any) -> list[tuple[str, str]]:
    """Choices for a select whose values are shown as they are."""
    return [(str(v), str(v)) for v in values or ()]


def colour_choices() -> list[tuple[str, str]]:
    names = {
        "green": _("green"),
        "teal": _("teal"),
        "blue": _("blue"),
        "purple": _("purple"),
        "pink": _("pink"),
        "red": _("red"),
        "orange": _("orange"),
        "yellow": _("yellow"),
        "gray": _("gray"),
        "brown": _("brown"),
    }
    return [(name, names[name]) for name in COLOURS]

"""What every view reads per request: the runtime, the signed-in actor, the current locale.

Views never reach into `current_app.extensions` themselves; they call these, so the way a
request finds its app, user and language lives in one place.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from babel import Locale
from flask import abort, current_app, session

from ..auth import current_actor
from ..metamodel.model import App, Entity, Label
from ..overlay.live import current_runtime, pinned_runtime
from ..runtime import Runtime
from ..store.actor import Action, Actor
from ..store.errors import RecordError
from ..store.records import RecordService
from .translate import per_locale


def runtime() -> Runtime:
    """The runtime this request started on (a publish meanwhile does not change it)."""
    return pinned_runtime() or current_runtime(current_app)


def model() -> App:
    return runtime().model


def service() -> RecordService:
    return runtime().records


def actor() -> Actor | None:
    return current_actor()


#: Where the session keeps the language the user chose with the switch.
LOCALE_KEY = "fw_locale"


def chosen_locale() -> str:
    """The language the user chose with the switch, else the app's default."""
    chosen = session.get(LOCALE_KEY)
    return chosen if chosen in model().locales else model().default_locale


def locale() -> str:
    """The request's language as the config names it ("zh", "en", "zh-CN", …); it follows
    Flask-Babel's locale, so `force_locale` applies to labels too."""
    # Pages ask for it per label: remembered for the request, by the Babel locale it names
    # (force_locale puts another one in place).
    return per_locale("fw_config_locale", _config_locale)


def _config_locale(current: Locale | None) -> str:
    app = model()
    code = app.default_locale
    if current is not None:
        code = _config_code(app.locales, str(current)) or code
    return code


@cache
def _config_code(codes: tuple[str, ...], babel_name: str) -> str | None:
    """The config's code for a Babel locale name ("zh_Hans_CN" → "zh-CN")."""
    for code in codes:
        if str(Locale.parse(code.replace("-", "_"))) == babel_name:
            return code
    return None


def text(label: Label | None, fallback: str = "") -> str:
    """A config label in the current locale (the app's default locale if it has none)."""
    if label is None:
        return fallback
    return label.get(locale(), fallback) or label.get(model().default_locale, fallback)


def entity_or_404(name: str) -> Entity:
    """The entity of a URL; 404 for an unknown one or a child entity (edited via its parent)."""
    entity = model().entities.get(name)
    if entity is None or entity.child_of:
        abort(404)
    return entity


def can(action: Action, entity: Entity) -> bool:
    """Whether the signed-in user may `action` some records of `entity` (for showing buttons;
    the record service checks again, with the row scope, on every call)."""
    try:
        service().policy.check(actor(), action, entity)
    except RecordError:
        return False
    return True


def hidden_fields(entity: Entity) -> frozenset[str]:
    return service().policy.hidden(actor(), entity)


def readonly_fields(entity: Entity) -> frozenset[str]:
    return service().policy.readonly(actor(), entity)


def template_globals() -> dict[str, Any]:
    """Names every template may use: `t(label)`, `can(action, entity)`, `locale`."""
    return {"t": text, "can": can, "entity_label": entity_label}


def entity_label(entity: Entity, plural: bool = False) -> str:
    label = entity.plural_label if plural and entity.plural_label else entity.label
    return text(label, entity.name)

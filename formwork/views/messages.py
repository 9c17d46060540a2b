"""Error messages in the user's language: the record service's, marshmallow's and the config's.

The record service and the field types raise English text, already formatted ("At most 3
row(s)."), and config validations arrive in the app's default locale. `translate_error`
turns such a text back into its template and parameters, translates the template with the
catalog and formats it again; a validation's message becomes its label in the current
locale; any other text is returned unchanged.

Every English template the UI can meet is listed below with the `N_` marker, so the catalog
tooling (`formwork.views.catalog`) extracts it like any `_()` text. A test keeps the list in
step with `formwork.store.errors.MESSAGES` and with what the field types produce.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from functools import cache
from typing import Any

from flask import current_app
from flask_babel import gettext

from ..metamodel.model import Entity, Label
from .context import text


def N_(message: str) -> str:
    """Mark `message` for extraction without translating it here (gettext's usual name)."""
    return message


#: The templates of `formwork.store.errors.MESSAGES`.
STORE_MESSAGES = (
    N_("Unknown field."),
    N_("This field cannot be written."),
    N_("This field is required."),
    N_("This field is not shown now, so it cannot be set."),
    N_("This field cannot be changed now."),
    N_("No such record."),
    N_("No such row in this table."),
    N_("No such file on this record."),
    N_("Already used by another record."),
    N_("At least {count} row(s)."),
    N_("At most {count} row(s)."),
    N_("Not a record version; reload the record and try again."),
    N_("Expected an object of field values."),
    N_("Expected a list of rows."),
    N_("Rows of {entity} are edited through their parent record."),
    N_("Still used by {count} {entity} record(s) (field {field}); remove those first."),
    N_("The database refused the change ({detail})."),
    N_("No such entity: {entity}."),
    N_("Unknown operator {op!r}; use one of: {ops}."),
    N_("Operator {op!r} does not apply to a {type} field."),
    N_("Operator {op!r} needs a list of values."),
    N_("Operator 'between' needs two values [low, high]."),
    N_("A value is needed; use 'empty' to find records without one."),
    N_("Operator {op!r} takes no value."),
    N_("Cannot sort by a {type} field."),
    N_("Invalid page cursor; start again from the first page."),
    N_("Page size must be between 1 and {max}."),
    N_("{field} is computed as records are read; it cannot be filtered or sorted on."),
    N_("No grading {grading} for {entity}."),
    N_("Not a grade of {grading}."),
    N_("A manual grade needs a reason."),
    N_("At most {max} characters."),
    N_("The expiry must be a time in the future, with its time zone."),
)

#: What input conversion can say: marshmallow's defaults for the fields and validators the
#: field types use, and the field types' own messages (`metamodel/fieldtypes/`).
INPUT_MESSAGES = (
    # marshmallow fields and schemas
    N_("Invalid value."),
    N_("Invalid input type."),
    N_("Not a valid string."),
    N_("Not a valid utf-8 string."),
    N_("Not a valid list."),
    N_("Not a valid mapping type."),
    N_("Not a valid boolean."),
    N_("Not a valid date."),
    N_("Not a valid datetime."),
    N_("Not a valid email address."),
    N_("Not a valid URL."),
    # marshmallow validators (Length, Range, Regexp, OneOf, ContainsOnly)
    N_("Shorter than minimum length {min}."),
    N_("Longer than maximum length {max}."),
    N_("Length must be between {min} and {max}."),
    N_("Must be greater than or equal to {min}."),
    N_("Must be less than or equal to {max}."),
    N_("Must be greater than or equal to {min} and less than or equal to {max}."),
    N_("String does not match expected pattern."),
    N_("Must be one of: {choices}."),
    N_("One or more of the choices you made was not in: {choices}."),
    # formwork's input fields
    N_("Not a whole number."),
    N_("Not a number."),
    N_("At most {places} digits after the decimal point."),
    N_("Too large."),
    N_("Not a telephone number."),
    N_("Not a file."),
    N_("At most {count} file(s)."),
    N_("{name} is larger than {mb} MB."),
    N_("{name} is not an allowed type ({accept})."),
)

#: The templates of `formwork.flows.errors.MESSAGES` (approval flows).
FLOW_MESSAGES = (
    N_("{entity} records have no approval flow."),
    N_("Say why in a comment."),
    N_("At most {max} characters."),
    N_("A record in state {state} cannot be submitted."),
    N_("This record does not meet the condition for submitting it."),
    N_("Your role may not submit these records."),
    N_("This task is not yours."),
    N_("Only the person who submitted it may withdraw this request."),
    N_("You may not approve your own request."),
    N_("This record is already awaiting approval."),
    N_("This task was already {status} by {user}."),
    N_("This task has been {status}; it is no longer yours to decide."),
    N_("This request is no longer pending: it was {status}."),
    N_("This record is not awaiting approval."),
    N_("No one can approve the step {step}: check its approvers."),
    N_("The step {step} needs {needed} approvals but only {count} people can approve it."),
    N_("No such active user."),
    N_("Choose someone else."),
    N_("{user} already has a task in this step."),
    N_("The submitter may not approve this request."),
    N_("Locked while the record awaits approval."),
    N_("A record awaiting approval cannot be deleted; withdraw the request first."),
    N_("Unknown action {action!r}."),
    N_(
        "The flow version this request started on no longer fits the config ({detail}); "
        "ask an administrator."
    ),
)

TEMPLATES = STORE_MESSAGES + FLOW_MESSAGES + INPUT_MESSAGES

#: The status words the flow engine puts in its messages' `{status}` ("already approved by …").
STATUS_WORDS = {
    "approved": N_("approved"),
    "rejected": N_("rejected"),
    "returned": N_("returned"),
    "withdrawn": N_("withdrawn"),
    "escalated": N_("escalated"),
    "cancelled": N_("cancelled"),
}


class _AsGiven(string.Formatter):
    """Formats a template with parameters read back from a formatted text: they are text
    already, so a conversion such as `{op!r}` must not quote them a second time."""

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        return value


_FORMATTER = _AsGiven()


def placeholders(template: str) -> set[str]:
    """The names of a template's `{placeholders}` (empty for text with stray braces)."""
    try:
        return {name for _, name, _, _ in _FORMATTER.parse(template) if name}
    except ValueError:
        return set()


def _pattern(template: str) -> re.Pattern[str]:
    """A regular expression matching `template` formatted with any parameters."""
    parts, seen = [], set()
    for literal, name, _, _ in _FORMATTER.parse(template):
        parts.append(re.escape(literal))
        if name:
            parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
            seen.add(name)
    return re.compile("".join(parts), re.DOTALL)


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Templates with placeholders, most literal text first, so that "Must be ≥ {min}." does
    not swallow "Must be ≥ {min} and ≤ {max}." with a `min` of "1 and ≤ 5"."""
    with_params = [t for t in TEMPLATES if placeholders(t)]
    with_params.sort(key=lambda t: sum(len(part[0]) for part in _FORMATTER.parse(t)), reverse=True)
    return tuple((t, _pattern(t)) for t in with_params)


_PLAIN = frozenset(t for t in TEMPLATES if not placeholders(t))


def translate_error(entity: Entity | None, text: str) -> str:
    """`text`, an error message from the record service or input conversion, in the current
    UI locale; unknown text comes back unchanged. `entity` is the entity the error concerns
    (None: look through every entity for a validation message). Needs an app context."""
    label = _validation_message(entity, text)
    if label is not None:
        return _in_locale(label)
    if text in _PLAIN:
        return gettext(text)
    for template, pattern in _patterns():
        match = pattern.fullmatch(text)
        if match is None:
            continue
        params = {name: _param(name, value) for name, value in match.groupdict().items()}
        try:
            return _FORMATTER.format(gettext(template), **params)
        except (KeyError, IndexError, ValueError):  # a translation with broken placeholders
            return text
    return text


def error_text(text: str, entity: Entity | None = None) -> str:
    """Jinja filter and global: `{{ message|error_text(entity) }}`."""
    return translate_error(entity, str(text))


# helpers


def _validation_message(entity: Entity | None, text: str) -> Label | None:
    for candidate in _entities_to_search(entity):
        for validation in candidate.validations:
            if text in validation.message.texts.values():
                return validation.message
    return None


def _entities_to_search(entity: Entity | None) -> Iterable[Entity]:
    """The entity and its child entities (their rows' errors show on its form); every
    entity of the app when none is given."""
    app = current_app.extensions["formwork"].model
    if entity is None:
        return app.entities.values()
    return (entity, *app.children_of(entity.name))


def _param(name: str, value: str) -> str:
    """An entity or a status word named in a message, as the current locale calls it."""
    if name == "status":
        return gettext(STATUS_WORDS[value]) if value in STATUS_WORDS else value
    if name != "entity":
        return value
    for entity in current_app.extensions["formwork"].model.entities.values():
        if value == entity.name or value in entity.label.texts.values():
            return _in_locale(entity.label, value)
    return value


def _in_locale(label: Label, fallback: str = "") -> str:
    return text(label, fallback)

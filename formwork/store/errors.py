"""The errors the record service and queries raise, and the texts of their messages.

Every caller (web, API, importer, CLI) catches these and renders them its own way: a
`ValidationFailed` becomes field errors on a form or a 422, a `Conflict` offers to reload, a
`NotFound` is a 404. Messages are English for now and all live in `MESSAGES`, so the UI can
translate them in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: The key of errors that concern the whole record rather than one field.
RECORD_KEY = "_record"

MESSAGES = {
    "unknown_field": "Unknown field.",
    "not_writable": "This field cannot be written.",
    "required": "This field is required.",
    "hidden": "This field is not shown now, so it cannot be set.",
    "readonly_now": "This field cannot be changed now.",
    "no_such_record": "No such record.",
    "no_such_row": "No such row in this table.",
    "no_such_file": "No such file on this record.",
    "unique": "Already used by another record.",
    "too_few_rows": "At least {count} row(s).",
    "too_many_rows": "At most {count} row(s).",
    "bad_version": "Not a record version; reload the record and try again.",
    "not_an_object": "Expected an object of field values.",
    "not_a_list": "Expected a list of rows.",
    "child_entity": "Rows of {entity} are edited through their parent record.",
    "referenced": "Still used by {count} {entity} record(s) (field {field}); remove those first.",
    "constraint": "The database refused the change ({detail}).",
    "unknown_entity": "No such entity: {entity}.",
    "unknown_op": "Unknown operator {op!r}; use one of: {ops}.",
    "op_not_for_type": "Operator {op!r} does not apply to a {type} field.",
    "needs_list": "Operator {op!r} needs a list of values.",
    "needs_pair": "Operator 'between' needs two values [low, high].",
    "needs_value": "A value is needed; use 'empty' to find records without one.",
    "no_value": "Operator {op!r} takes no value.",
    "not_sortable": "Cannot sort by a {type} field.",
    "bad_cursor": "Invalid page cursor; start again from the first page.",
    "bad_page_size": "Page size must be between 1 and {max}.",
    "not_in_sql": "{field} is computed as records are read; it cannot be filtered or sorted on.",
    "no_grading": "No grading {grading} for {entity}.",
    "not_a_grade": "Not a grade of {grading}.",
    "reason_needed": "A manual grade needs a reason.",
    "too_long": "At most {max} characters.",
    "expiry_in_past": "The expiry must be a time in the future, with its time zone.",
}


def message(key: str, **params: Any) -> str:
    return MESSAGES[key].format(**params)


class RecordError(Exception):
    """Base of every error the record service raises on purpose."""


class ValidationFailed(RecordError):
    """The input was refused; `errors` maps a field (or "_record") to its messages.

    Keys of child-table rows read `milestones[2].due_date`. Nothing was written.
    """

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in errors.items()}
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items()))

    @classmethod
    def one(cls, key: str, text: str) -> ValidationFailed:
        return cls({key: [text]})


class QueryError(ValidationFailed):
    """A query names an undeclared field, a wrong operator or value, or a bad cursor.

    Raised before any SQL runs; keys are `filters[0]`, `sort`, `after`, … .
    """


class UnknownEntity(RecordError):
    def __init__(self, entity: str) -> None:
        self.entity = entity
        super().__init__(message("unknown_entity", entity=entity))


class NotFound(RecordError):
    def __init__(self, entity: str, id: Any) -> None:
        self.entity = entity
        self.id = id
        super().__init__(f"{entity} #{id} does not exist")


class Conflict(RecordError):
    """The record changed since the caller read it; nothing was written.

    `current` holds the record's values as they are now, so a form can show them.
    """

    def __init__(
        self,
        entity: str,
        id: int,
        expected_version: int,
        actual_version: int,
        current: Mapping[str, Any],
    ) -> None:
        self.entity = entity
        self.id = id
        self.expected_version = expected_version
        self.actual_version = actual_version
        self.current = dict(current)
        super().__init__(
            f"{entity} #{id} is at version {actual_version}, not {expected_version}: "
            "someone else changed it"
        )


class Forbidden(RecordError):
    """The user may not do this with any record of the entity (HTTP 403)."""

    def __init__(self, action: str, entity: str) -> None:
        super().__init__(f"You may not {action} {entity} records.")
        self.action = action
        self.entity = entity

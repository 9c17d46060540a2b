"""Saving over someone else's change: which fields differ, and whose value each one keeps.

When an edit is refused with `Conflict` (the record changed since the form was opened), the
form comes back at the record's new version with, for every field where the stored value and
the user's differ, both side by side and a choice: keep mine or take theirs. The default is a
three-way merge against what the form was opened with (fingerprints in the form): a field the
user left alone takes theirs, one the user changed keeps mine. "Theirs" leaves the field out
of the next save, so the stored value stays whatever it is by then.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from werkzeug.datastructures import MultiDict

from ...metamodel.model import App, Field
from ...store.form_state import typed_values
from ..display import Display
from .form_view import Conflicting, fingerprint

#: The radio of a field's choice: `_resolve.<field>` = "mine" | "theirs".
RESOLVE = "_resolve."
MINE, THEIRS = "mine", "theirs"


def comparable(app: App, f: Field, value: Any) -> Any:
    """A value as the input would make it, so stored and typed values compare equal.

    Rows of a child table compare by their writable values (row ids aside)."""
    if f.kind.widget == "table":
        child = app.entity(f.setting("to"))
        names = [c.name for c in child.fields.values() if c.writable and c.stored]
        rows = []
        for row in value or ():
            typed = typed_values(child, {n: row.get(n) for n in names if n in row})
            rows.append({n: typed.get(n) for n in names})
        return rows
    return typed_values(app.entity(f.entity), {f.name: value}).get(f.name)


def fingerprints(app: App, fields: Iterable[Field], values: Mapping[str, Any]) -> dict[str, str]:
    """The fingerprint of each field's value (what the form was opened with)."""
    return {
        f.name: fingerprint(comparable(app, f, values.get(f.name)))
        for f in fields
        if f.kind.widget != "file"
    }


def differences(
    app: App,
    fields: Iterable[Field],
    mine: Mapping[str, Any],
    theirs: Mapping[str, Any],
    original: Mapping[str, str],
    show: Display,
) -> list[Conflicting]:
    """The fields whose value in `mine` (the user's input) differs from `theirs` (stored)."""
    result = []
    for f in fields:
        if f.kind.widget == "file" or f.name not in mine:
            continue
        my_value = comparable(app, f, mine.get(f.name))
        their_value = comparable(app, f, theirs.get(f.name))
        if fingerprint(my_value) == fingerprint(their_value):
            continue
        untouched = original.get(f.name) == fingerprint(my_value)
        result.append(
            Conflicting(
                field=f,
                theirs=show.html(f, their_value),
                mine=show.html(f, my_value),
                choice=THEIRS if untouched else MINE,
            )
        )
    return result


def take_theirs(values: MultiDict[str, str]) -> set[str]:
    """The fields the user chose to take the stored value of."""
    return {k[len(RESOLVE) :] for k, v in values.items() if k.startswith(RESOLVE) and v == THEIRS}

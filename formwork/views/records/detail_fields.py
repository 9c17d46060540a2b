"""The fields of a record as its detail page shows them: by the form's sections.

Fields the user may not see are left out, and so are fields whose `visible_when` condition
does not hold for this record (as the form would not show them). A table field shows its
rows with the child entity's form fields as columns; attachments are shown by the template
as download links.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...metamodel.model import Entity, Field, Label
from ...rules.rulebook import formula_view
from ...store.records import Record
from ..context import model, service
from ..display import Display
from .pages import display_for, visible


@dataclass(frozen=True, slots=True)
class Section:
    label: Label | None
    fields: tuple[Field, ...]


@dataclass(frozen=True, slots=True)
class RecordFields:
    sections: tuple[Section, ...]
    #: The columns of each table field shown, by the table field's name.
    columns: Mapping[str, tuple[Field, ...]] = field(default_factory=dict)
    show: Display | None = None


def record_fields(entity: Entity, record: Record) -> RecordFields:
    """The sections of `entity`'s form with the fields of `record` the user may see now."""
    off = hidden_by_condition(entity, record)
    sections = []
    for section in entity.form.sections:
        fields = tuple(f for f in visible(entity, section.fields) if f.name not in off)
        if fields:
            sections.append(Section(section.label, fields))
    shown = [f for s in sections for f in s.fields]
    columns = {f.name: child_columns(f) for f in shown if f.type == "table"}
    rows: list[Mapping[str, Any]] = [record.values]
    for name in columns:
        rows.extend(record.get(name) or ())
    everything = shown + [c for cols in columns.values() for c in cols]
    return RecordFields(tuple(sections), columns, display_for(everything, rows))


def child_columns(table_field: Field) -> tuple[Field, ...]:
    """The fields of a table field's rows, in the child entity's form order."""
    child = model().entity(table_field.setting("to"))
    return tuple(visible(child, [n for s in child.form.sections for n in s.fields]))


def hidden_by_condition(entity: Entity, record: Record) -> set[str]:
    """Fields whose `visible_when` is false for this record."""
    conditions = service().rules[entity.name].visible
    if not conditions:
        return set()
    view = formula_view(entity, record.values, record.id)
    with service().db.read() as conn:
        ctx = service().runner.context(conn, service().clock())
        return {name for name, rule in conditions.items() if not rule.run(view, ctx)}

"""What a record form shows: its sections and fields, each as an input or a value, with state.

`RecordForm` gathers, for one entity and the signed-in user, which fields appear (not the
hidden ones), which are inputs and which are shown as values (generated, computed, read-only
for the user's roles, or locked by `readonly_when` as the record is stored), the inputs'
current values, the errors by input key and the live state (`FormState`: conditional fields,
computed values, grades). Templates only read it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from ...metamodel.model import Entity, Field, Grading, Label
from ...store.audit import json_safe
from ...store.errors import RECORD_KEY
from ...store.form_state import FormState, GradePreview
from ...store.record import Record
from ..context import hidden_fields, model, readonly_fields, runtime, text
from ..display import Display
from .form_input import TRUE, cell_key, row_indexes

#: Selects with at most this many options are radio chips.
FEW_OPTIONS = 4
#: Keys of the form's own inputs (never field names: those start with a letter).
VERSION, RECORD, TOUCHED, ORIGINAL, ADD_ROW = "_version", "_id", "_touched", "_original", "_add_row"


def dom_id(key: str) -> str:
    """An element id for an input key (`lines[2].qty` → `lines-2-qty`)."""
    return key.replace("[", "-").replace("].", "-").replace(".", "-").replace("]", "")


def fingerprint(value: Any) -> str:
    """A short digest of a value, to tell later whether it changed."""
    text = json.dumps(json_safe(value), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class FormField:
    """One field (or one cell of a row) as the form shows it."""

    field: Field
    key: str
    editable: bool
    hidden: bool = False
    required: bool = False
    locked: bool = False
    errors: list[str] = field(default_factory=list)

    @property
    def dom(self) -> str:
        return dom_id(self.key)

    @property
    def id(self) -> str:
        return "f-" + self.dom

    @property
    def widget(self) -> str:
        return self.field.kind.widget

    @property
    def group(self) -> bool:
        """Whether the input is a group of choices (a fieldset with a legend)."""
        if not self.editable:
            return False
        few = self.widget == "select" and len(self.field.options) <= FEW_OPTIONS
        return few or self.widget in ("multiselect", "rating")

    def describedby(self) -> str:
        parts = [f"help-{self.dom}"] if self.field.help else []
        if self.field.kind.widget in ("number", "percent", "datetime", "file", "richtext"):
            parts.append(f"hint-{self.dom}")
        parts.append(f"err-{self.dom}")
        return " ".join(parts)


@dataclass
class Conflicting:
    """A field that differs between the stored record and the user's input."""

    field: Field
    theirs: Markup
    mine: Markup
    choice: str  # "mine" or "theirs"


@dataclass
class RecordForm:
    entity: Entity
    record: Record | None
    values: MultiDict[str, str]
    show: Display
    state: FormState = field(default_factory=FormState)
    #: Fields locked by readonly_when as the record is stored (the service refuses changes).
    stored_locked: frozenset[str] = frozenset()
    errors: dict[str, list[str]] = field(default_factory=dict)
    conflict: list[Conflicting] = field(default_factory=list)
    version: int | None = None
    #: Fingerprints of the stored values the form was opened with (for conflicts).
    original: dict[str, str] = field(default_factory=dict)

    # -- which fields --------------------------------------------------------------------
    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(runtime().settings.timezone)

    def layout(self) -> list[tuple[Label | None, list[Field]]]:
        """The sections with the fields the user may see."""
        hidden = hidden_fields(self.entity)
        sections = []
        for section in self.entity.form.sections:
            names = [n for n in section.fields if n in self.entity.fields and n not in hidden]
            sections.append((section.label, [self.entity.fields[n] for n in names]))
        return sections

    def shown_fields(self) -> list[Field]:
        return [f for _label, fields in self.layout() for f in fields]

    def is_editable(self, f: Field) -> bool:
        return (
            f.writable
            and f.kind.widget != "readonly"
            and f.name not in readonly_fields(self.entity)
            and f.name not in self.stored_locked
        )

    def editable_fields(self) -> list[Field]:
        return [f for f in self.shown_fields() if self.is_editable(f)]

    def sections(self) -> list[tuple[Label | None, list[FormField]]]:
        return [(label, [self.item(f) for f in fields]) for label, fields in self.layout()]

    def item(self, f: Field) -> FormField:
        editable = self.is_editable(f)
        return FormField(
            field=f,
            key=f.name,
            editable=editable,
            hidden=f.name in self.state.hidden,
            required=editable and f.name in self.state.required,
            locked=f.name in self.state.readonly and f.name not in self.stored_locked,
            errors=self.errors.get(f.name, []),
        )

    # -- child tables --------------------------------------------------------------------
    def child(self, table: Field) -> Entity:
        return model().entity(table.setting("to"))

    def columns(self, table: Field) -> list[Field]:
        child = self.child(table)
        hidden = hidden_fields(child)
        return [c for c in child.fields.values() if c.name not in hidden]

    def rows(self, table: Field) -> list[int]:
        return row_indexes(self.values, table.name)

    def next_row(self, table: Field) -> int:
        rows = self.rows(table)
        return rows[-1] + 1 if rows else 0

    def cell(self, table: Field, index: int, column: Field) -> FormField:
        key = cell_key(table.name, index, column.name)
        editable = (
            column.writable and column.stored and column.kind.widget not in ("readonly", "file")
        )
        return FormField(
            column, key, editable, required=column.required, errors=self.errors.get(key, [])
        )

    def row_errors(self, table: Field, index: int) -> list[str]:
        return self.errors.get(cell_key(table.name, index, "id"), [])

    # -- values --------------------------------------------------------------------------
    def one(self, key: str) -> str:
        return self.values.get(key, "")

    def many(self, key: str) -> list[str]:
        return self.values.getlist(key)

    def checked(self, key: str) -> bool:
        return TRUE in self.values.getlist(key)

    def link_title(self, item: FormField) -> str:
        """The title of the record a link input holds ("" when it holds none)."""
        chosen = self.one(item.key)
        if not chosen.isdigit() or len(chosen) > 18:
            return ""
        return self.show.text(item.field, int(chosen))

    def link_text(self, item: FormField) -> str:
        """The text of a link's search box: as typed, else the linked record's title."""
        typed = self.values.get(f"{item.key}__q")
        return typed if typed is not None else self.link_title(item)

    def stored_files(self, f: Field) -> list[Mapping[str, Any]]:
        """The files the record holds (only those the form still lists)."""
        listed = set(self.many(f"{f.name}__keep"))
        items = self.record.get(f.name) if self.record is not None else None
        return [item for item in items or () if item.get("id") in listed]

    def value(self, f: Field) -> Any:
        """What a field shown as a value holds: the live preview for derived fields."""
        if f.name in self.state.computed:
            return self.state.computed[f.name]
        if self.record is not None:
            return self.record.get(f.name)
        return None

    def cell_value(self, table: Field, index: int, column: Field) -> Any:
        """A read-only cell of a row: the stored row's value."""
        if self.record is None:
            return None
        row_id = self.one(cell_key(table.name, index, "id"))
        for row in self.record.get(table.name) or ():
            if str(row.get("id")) == row_id:
                return row.get(column.name)
        return None

    # -- errors --------------------------------------------------------------------------
    def top_errors(self) -> list[str]:
        """Errors of the whole record, and of inputs this form does not have."""
        keys = set(self.input_keys())
        texts = list(self.errors.get(RECORD_KEY, []))
        for key, messages in self.errors.items():
            if key != RECORD_KEY and key not in keys:
                texts.extend(f"{key}: {m}" for m in messages)
        return texts

    def error_summary(self) -> list[tuple[str, str]]:
        """(element id, "Label: message") for every error by an input, in form order."""
        labels = self.input_labels()
        summary = []
        for key, label in labels.items():
            for message in self.errors.get(key, []):
                summary.append(("f-" + dom_id(key), f"{label}: {message}"))
        return summary

    def input_labels(self) -> dict[str, str]:
        """The label of every key an error can be shown at (cells: "Table 2 · Column")."""
        labels = {}
        for f in self.shown_fields():
            labels[f.name] = text(f.label, f.name)
            if f.kind.widget == "table":
                for number, index in enumerate(self.rows(f), start=1):
                    prefix = f"{text(f.label, f.name)} {number}"
                    labels[cell_key(f.name, index, "id")] = prefix
                    for c in self.columns(f):
                        labels[cell_key(f.name, index, c.name)] = f"{prefix} · {text(c.label)}"
        return labels

    def input_keys(self) -> list[str]:
        """Every key an error can be shown at: fields, tables, row ids and cells."""
        return list(self.input_labels())

    # -- grades --------------------------------------------------------------------------
    def grade_previews(self) -> list[tuple[GradePreview, Grading]]:
        """The live grades the user may see (their grade field is not hidden)."""
        hidden = hidden_fields(self.entity)
        gradings = model().gradings
        return [
            (g, gradings[g.grading])
            for g in self.state.grades
            if gradings[g.grading].grade_field not in hidden
        ]

    def grade_label(self, grading: Grading, grade: str) -> str:
        level = next((lv for lv in grading.grades if lv.grade == grade), None)
        return text(level.label, grade) if level is not None else grade

    def dom(self, key: str) -> str:
        return dom_id(key)

    def original_json(self) -> str:
        return json.dumps(self.original, sort_keys=True)

    def file_inputs(self) -> str:
        """Names of the file inputs, which live checks leave out (no upload per keystroke)."""
        return ",".join(f.name for f in self.editable_fields() if f.kind.widget == "file")

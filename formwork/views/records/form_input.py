"""The record forms' wire format: field values as form inputs, and posted forms as service input.

Every input is named by the key the record service reports its errors under, so an error
lands next to the input that caused it: `name` for a field, `milestones[2].due_date` for a
cell of a child-table row. Helper inputs carry a suffix: a link's search text `owner__q` and
the title it showed `owner__t`, an attachment's kept files `files__keep`, its remove boxes
`files__remove` and its presence marker `files__present`; a row's id `milestones[2].id` and
remove box `milestones[2]._delete`.

`form_values` writes a record's values as those inputs (a MultiDict, the same shape a post
has, so a form re-shown after an error and a fresh one render alike); `read_form` turns a post
back into the service's input: blanks become None, checkbox groups lists, a cleared checkbox
False, local times UTC, rows a list (blank new rows and removed rows left out), uploads
`Upload`s. Values are passed on as text: converting and judging them is the service's job.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from werkzeug.datastructures import FileStorage, MultiDict

from ...metamodel.fieldtypes import Upload
from ...metamodel.model import App, Entity, Field

#: A cell of a child-table row: `table[index].column` (indexes of at most 4 digits).
CELL = re.compile(r"^(?P<table>\w+)\[(?P<index>\d{1,4})\]\.(?P<column>\w+)$")
ERROR_CELL = re.compile(r"^(?P<table>\w+)\[(?P<index>\d+)\]\.(?P<rest>.+)$")
TRUE = "true"
#: Widgets whose input is not text: everything else is read as one text value.
NOT_TEXT = {"checkbox", "multiselect", "link", "table", "file", "readonly"}


@dataclass(frozen=True, slots=True)
class PendingLink:
    """A link typed as text without picking a match (no JS): the view resolves it by search."""

    key: str
    target: str
    text: str


@dataclass
class PostedForm:
    """A post read as service input, and how to put the service's answer back on the form."""

    data: dict[str, Any] = field(default_factory=dict)
    #: For each child table: the form index of each row sent, in the order sent.
    positions: dict[str, list[int]] = field(default_factory=dict)
    pending: list[PendingLink] = field(default_factory=list)
    #: Input key → (the dict holding its value in `data`, the name in that dict).
    slots: dict[str, tuple[dict[str, Any], str]] = field(default_factory=dict)

    def resolve(self, key: str, value: Any) -> None:
        """Set the value of input `key` (a pending link, once found)."""
        holder, name = self.slots[key]
        holder[name] = value

    def form_errors(self, errors: Mapping[str, list[str]]) -> dict[str, list[str]]:
        """The service's errors keyed by input: row positions become the rows' form indexes."""
        result: dict[str, list[str]] = {}
        for key, texts in errors.items():
            match = ERROR_CELL.match(key)
            rows = self.positions.get(match["table"]) if match else None
            if match and rows is not None and int(match["index"]) < len(rows):
                key = f"{match['table']}[{rows[int(match['index'])]}].{match['rest']}"
            result.setdefault(key, []).extend(texts)
        return result


def cell_key(table: str, index: int, column: str) -> str:
    return f"{table}[{index}].{column}"


def row_indexes(values: MultiDict[str, str], table: str) -> list[int]:
    """The form indexes of the rows of `table` present in `values`, in order."""
    found = set()
    for key in values:
        match = CELL.match(key)
        if match and match["table"] == table:
            found.add(int(match["index"]))
    return sorted(found)


# -- record → inputs ---------------------------------------------------------------------------
def form_values(
    app: App, fields: Iterable[Field], values: Mapping[str, Any], zone: ZoneInfo
) -> MultiDict[str, str]:
    """The inputs of a form showing `values` (a record's, or defaults) for `fields`."""
    out: MultiDict[str, str] = MultiDict()
    for f in fields:
        _write(app, out, f, f.name, values.get(f.name), zone)
    return out


def _write(
    app: App, out: MultiDict[str, str], f: Field, key: str, value: Any, zone: ZoneInfo
) -> None:
    widget = f.kind.widget
    if widget == "table":
        child = app.entity(f.setting("to"))
        for index, row in enumerate(value or ()):
            out.add(cell_key(key, index, "id"), str(row.get("id", "")))
            for column in child.fields.values():
                cell = cell_key(key, index, column.name)
                _write(app, out, column, cell, row.get(column.name), zone)
    elif widget == "file":
        for item in value or ():
            out.add(f"{key}__keep", str(item.get("id", "")))
    elif widget == "multiselect":
        out.setlist(key, [str(v) for v in value or ()])
    elif widget == "checkbox":
        if value:
            out.add(key, TRUE)
    else:
        out.add(key, as_text(value, zone))


def as_text(value: Any, zone: ZoneInfo) -> str:
    """A value as its form input holds it (times in the local zone, for datetime-local)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(zone).strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool):
        return TRUE if value else ""
    return str(value)


# -- post → service input ----------------------------------------------------------------------
def read_form(
    app: App,
    entity: Entity,
    fields: Iterable[Field],
    values: MultiDict[str, str],
    files: MultiDict[str, FileStorage],
    zone: ZoneInfo,
) -> PostedForm:
    """The service input of a posted form whose editable fields are `fields`.

    Other posted keys that name a field of the entity are passed on as they came, so the
    service refuses a hidden or read-only field that a forged post sends; anything else
    (the CSRF token, helper inputs, unknown names) is not input."""
    posted = PostedForm()
    editable = {f.name for f in fields}
    for f in fields:
        _read(app, posted, posted.data, f, f.name, values, files, zone)
    for name in values:
        if name in entity.fields and name not in editable:
            posted.data[name] = values.get(name)
    return posted


def _read(
    app: App,
    posted: PostedForm,
    holder: dict[str, Any],
    f: Field,
    key: str,
    values: MultiDict[str, str],
    files: MultiDict[str, FileStorage],
    zone: ZoneInfo,
) -> None:
    widget = f.kind.widget
    if widget == "table":
        holder[f.name] = _rows(app, posted, f, key, values, files, zone)
        return
    if widget == "file":
        if f"{key}__present" in values:
            holder[f.name] = _files(key, values, files)
        return
    if widget == "readonly":
        return
    posted.slots[key] = (holder, f.name)
    if widget == "checkbox":
        holder[f.name] = TRUE in values.getlist(key)
    elif widget == "multiselect":
        holder[f.name] = [v for v in values.getlist(key) if v.strip()]
    elif widget == "link":
        _link(posted, holder, f, key, values)
    elif widget == "datetime":
        holder[f.name] = _utc(values.get(key, ""), zone)
    else:
        text = values.get(key, "")
        holder[f.name] = text if text.strip() else None


def _link(
    posted: PostedForm, holder: dict[str, Any], f: Field, key: str, values: MultiDict[str, str]
) -> None:
    chosen = values.get(key, "").strip() or None
    typed = values.get(f"{key}__q")
    if typed is None:  # no search box was sent: the id alone
        holder[f.name] = chosen
    elif not typed.strip():
        holder[f.name] = None
    elif chosen is not None and typed.strip() == values.get(f"{key}__t", "").strip():
        holder[f.name] = chosen
    else:
        holder[f.name] = None
        posted.pending.append(PendingLink(key, f.setting("to"), typed.strip()))


def _utc(text: str, zone: ZoneInfo) -> Any:
    """A datetime-local value (local time) as UTC; text that is no time goes on as it is,
    for the service to refuse."""
    if not text.strip():
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    try:
        return moment.astimezone(dt.UTC)
    except OverflowError:
        return text


def _files(key: str, values: MultiDict[str, str], files: MultiDict[str, FileStorage]) -> list[Any]:
    removed = set(values.getlist(f"{key}__remove"))
    kept: list[Any] = [{"id": i} for i in values.getlist(f"{key}__keep") if i and i not in removed]
    for upload in files.getlist(key):
        if upload and upload.filename:
            kept.append(Upload(upload.filename, upload.mimetype or "", upload.read()))
    return kept


def _rows(
    app: App,
    posted: PostedForm,
    table: Field,
    key: str,
    values: MultiDict[str, str],
    files: MultiDict[str, FileStorage],
    zone: ZoneInfo,
) -> list[dict[str, Any]]:
    child = app.entity(table.setting("to"))
    columns = [c for c in child.fields.values() if c.writable and c.stored]
    rows: list[dict[str, Any]] = []
    positions: list[int] = []
    for index in row_indexes(values, key):
        if values.get(cell_key(key, index, "_delete")):
            continue
        row: dict[str, Any] = {}
        row_id = values.get(cell_key(key, index, "id"), "").strip()
        for column in columns:
            if column.kind.widget != "file":
                cell = cell_key(key, index, column.name)
                _read(app, posted, row, column, cell, values, files, zone)
        if not row_id and all(v is None or v is False or v == [] for v in row.values()):
            continue  # a new row left blank
        if row_id:
            row = {"id": row_id, **row}
        rows.append(row)
        positions.append(index)
    posted.positions[key] = positions
    return rows

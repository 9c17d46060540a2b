"""Which column of a file fills which field: the guess, the choices, and their checks.

A column is guessed to be a field when its header, normalised (Unicode NFKC, case folded,
spaces and punctuation dropped, so "Order no.", "order_no" and "订单编号：" compare as
words), equals the field's name or its label in any locale. The person importing can change
every choice; `check` then names each problem with the mapping before any row is read.

Fields a user may import are the stored, writable ones their roles let them write (not files
or child tables). A *key* field finds the record a row updates (upsert): a unique field, an
auto-number, or the record number `id`. Auto-numbers and `id` are never written, so a column
may be mapped to them only as the key.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from flask_babel import gettext as _

from ..metamodel.model import Entity, Field

#: The record number, usable as the key of an upsert.
RECORD_ID = "id"
NOT_IMPORTED = frozenset({"attachment", "table"})
WORD_BREAKS = re.compile(r"[\W_]+")

Labeller = Callable[[str], str]


@dataclass(frozen=True)
class Target:
    """A field a column may fill (`writable`) or be matched on (`key`)."""

    name: str
    label: str
    writable: bool
    key: bool
    required: bool = False


@dataclass(frozen=True)
class ColumnMap:
    """The chosen mapping: column header → field name, and the key field (None: create all)."""

    fields: Mapping[str, str]
    key: str | None = None
    problems: tuple[str, ...] = field(default=())

    @property
    def key_column(self) -> str | None:
        return next((c for c, f in self.fields.items() if f == self.key), None)


def normalise(text: str) -> str:
    return WORD_BREAKS.sub("", unicodedata.normalize("NFKC", text).casefold())


def targets(
    entity: Entity,
    hidden: Iterable[str],
    readonly: Iterable[str],
    label: Callable[[Field], str],
    id_label: str = "ID",
) -> dict[str, Target]:
    """What the columns of `entity` may be mapped to, for a user with these hidden and
    read-only fields, in the entity's field order."""
    hidden, readonly = frozenset(hidden), frozenset(readonly)
    found = {RECORD_ID: Target(RECORD_ID, id_label, writable=False, key=True)}
    for f in entity.fields.values():
        if not f.stored or f.type in NOT_IMPORTED or f.name in hidden:
            continue
        writable = f.writable and f.name not in readonly
        key = f.unique or f.type == "autonumber"
        if writable or key:
            found[f.name] = Target(f.name, label(f), writable, key, f.required and writable)
    return found


def guess(entity: Entity, columns: Iterable[str], allowed: Mapping[str, Target]) -> dict[str, str]:
    """Column → field for every column whose header names an allowed field (first wins)."""
    names: dict[str, str] = {}
    for name in allowed:
        f = entity.fields.get(name)
        words = [name, *(f.label.texts.values() if f is not None else ())]
        for word in words:
            names.setdefault(normalise(word), name)
    chosen: dict[str, str] = {}
    for column in columns:
        name = names.get(normalise(column))
        if name is not None and name not in chosen.values():
            chosen[column] = name
    return chosen


def check(
    columns: Iterable[str],
    fields: Mapping[str, str],
    key: str | None,
    allowed: Mapping[str, Target],
) -> ColumnMap:
    """The mapping with every problem it has (no problems: it can be used)."""
    columns = tuple(columns)
    problems: list[str] = []
    kept: dict[str, str] = {}
    filled: dict[str, str] = {}
    for column, name in fields.items():
        if not name:
            continue
        if column not in columns:
            problems.append(_("There is no column named %(column)s.", column=column))
            continue
        target = allowed.get(name)
        if target is None:
            problems.append(
                _(
                    "Column %(column)s: %(field)s is not a field you may import.",
                    column=column,
                    field=name,
                )
            )
            continue
        if name in filled:
            problems.append(
                _(
                    "Columns %(first)s and %(second)s both fill %(field)s.",
                    first=filled[name],
                    second=column,
                    field=target.label,
                )
            )
            continue
        if not target.writable and name != key:
            problems.append(
                _(
                    "Column %(column)s: %(field)s is generated, so it can only be the key that "
                    "finds records.",
                    column=column,
                    field=target.label,
                )
            )
            continue
        filled[name] = column
        kept[column] = name
    if key:
        target = allowed.get(key)
        if target is None or not target.key:
            problems.append(_("%(field)s cannot be a key: it is not unique.", field=key))
        elif key not in filled:
            problems.append(_("The key %(field)s has no column.", field=target.label))
    if not kept and not problems:
        problems.append(_("No column is mapped to a field."))
    elif not key and not problems:
        missing = [t.label for t in allowed.values() if t.required and t.name not in filled]
        if missing:
            problems.append(
                _("Required fields have no column: %(fields)s.", fields=", ".join(missing))
            )
    return ColumnMap(kept, key or None, tuple(problems))

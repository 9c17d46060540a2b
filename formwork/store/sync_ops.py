"""The steps of a schema-sync plan, what cannot be done, and the plan itself.

Each operation is plain data with a `describe()` line for `formwork plan`; `sync_plan` makes
them, `sync_apply` carries them out. A `Refusal` is a change the data does not allow (values
that do not convert, duplicates under a new `unique`); one refusal blocks the whole plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: How many offending record ids a refusal lists (it also gives the total).
MAX_LISTED = 20


@dataclass(frozen=True)
class CreateTable:
    table: str
    entity: bool

    def describe(self) -> str:
        return f"+ table {self.table}"


@dataclass(frozen=True)
class AddColumn:
    table: str
    column: str
    sql: str
    field_type: str | None = None

    def describe(self) -> str:
        return f"+ column {self.table}.{self.column} ({self.sql})"


@dataclass(frozen=True)
class ArchiveColumn:
    """A removed field's column, renamed out of the way and kept (restorable)."""

    table: str
    column: str
    archive: str
    foreign_keys: tuple[str, ...] = ()

    def describe(self) -> str:
        return f"~ archive column {self.table}.{self.column} -> {self.archive}"


@dataclass(frozen=True)
class RestoreColumn:
    """A field added again with its old name and type: its archived column comes back."""

    table: str
    archive: str
    column: str
    field_type: str

    def describe(self) -> str:
        return f"~ restore column {self.table}.{self.column} <- {self.archive}"


@dataclass(frozen=True)
class RenameColumn:
    table: str
    old: str
    new: str

    def describe(self) -> str:
        return f"~ rename column {self.table}.{self.old} -> {self.new}"


@dataclass(frozen=True)
class RetypeColumn:
    """A field type change: the old column is archived, a new one filled with converted values."""

    table: str
    column: str
    old_type: str
    new_type: str
    archive: str
    sql: str
    rows: int
    foreign_keys: tuple[str, ...] = ()

    def describe(self) -> str:
        return (
            f"~ retype {self.table}.{self.column} {self.old_type} -> {self.new_type} "
            f"({self.rows} rows convert; old column kept as {self.archive})"
        )


@dataclass(frozen=True)
class AlterColumn:
    """Same field type, another column type (a longer text, more places): changed in place."""

    table: str
    column: str
    old_sql: str
    new_sql: str

    def describe(self) -> str:
        return f"~ alter column {self.table}.{self.column} {self.old_sql} -> {self.new_sql}"


@dataclass(frozen=True)
class CreateIndex:
    table: str
    name: str
    columns: tuple[str, ...]
    unique: bool
    #: The index method when not the default B-tree ("gin", PostgreSQL).
    using: str | None = None

    def describe(self) -> str:
        kind = "unique" if self.unique else "index"
        using = f" using {self.using}" if self.using else ""
        return f"+ {kind} {self.name} on {self.table}({', '.join(self.columns)}){using}"


@dataclass(frozen=True)
class DropIndex:
    table: str
    name: str
    columns: tuple[str, ...]
    unique: bool
    constraint: bool

    def describe(self) -> str:
        kind = "unique" if self.unique else "index"
        return f"- {kind} {self.name} on {self.table}({', '.join(self.columns)})"


@dataclass(frozen=True)
class AddForeignKey:
    """The foreign key of a restored link column (archiving drops it)."""

    table: str
    column: str

    def describe(self) -> str:
        return f"+ foreign key {self.table}.{self.column}"


@dataclass(frozen=True)
class RecordLedger:
    """Columns of an existing table the ledger does not know yet (inferred from the model)."""

    table: str
    rows: tuple[tuple[str, str, str, str], ...]  # (column, field, field_type, status)

    def describe(self) -> str:
        return f"= ledger {self.table}: record {len(self.rows)} existing column(s)"


Operation = (
    CreateTable
    | AddColumn
    | ArchiveColumn
    | RestoreColumn
    | RenameColumn
    | RetypeColumn
    | AlterColumn
    | CreateIndex
    | DropIndex
    | AddForeignKey
    | RecordLedger
)


@dataclass(frozen=True)
class Refusal:
    """A change the data does not allow, with the records that stand in the way."""

    table: str
    column: str
    #: What was refused: "retype", "alter", "unique" or "add".
    change: str
    reason: str
    record_ids: tuple[int, ...] = ()
    total: int = 0
    #: Examples: (record id or ids, the value, why it fails).
    examples: tuple[tuple[Any, Any, str], ...] = ()
    #: The change in detail ("text -> integer").
    detail: str = ""

    def describe(self) -> str:
        what = f"{self.change} {self.table}.{self.column}" + (f" {self.detail}" * bool(self.detail))
        line = f"! refused: {what}: {self.reason}"
        if self.record_ids:
            more = (
                f" (first {len(self.record_ids)} of {self.total})"
                if self.total > len(self.record_ids)
                else ""
            )
            line += f"; record ids{more}: {', '.join(map(str, self.record_ids))}"
        return line

    def details(self) -> list[str]:
        return [f"    {who}: {value!r}: {why}" for who, value, why in self.examples]


@dataclass(frozen=True)
class SyncPlan:
    """What `formwork migrate` would do, in order; empty when the database matches the model."""

    operations: tuple[Operation, ...]
    refusals: tuple[Refusal, ...] = ()
    #: Things left alone on purpose (tables of entities no longer in the config).
    warnings: tuple[str, ...] = ()
    #: The UTC timestamp in this plan's archive names (YYYYmmddTHHMMSS).
    stamp: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.operations and not self.refusals

    def render(self) -> str:
        """The text `formwork plan` prints: one line per operation, refusal and warning."""
        lines = [op.describe() for op in self.operations]
        for refusal in self.refusals:
            lines.append(refusal.describe())
            lines.extend(refusal.details())
        lines.extend(f"# {warning}" for warning in self.warnings)
        if not self.operations and not self.refusals:
            lines.insert(0, "= the database matches the model; nothing to do")
        return "\n".join(lines) + "\n"

    def fingerprint(self) -> tuple[Any, ...]:
        return (self.operations, self.refusals)

"""Checks of the existing data that decide whether a schema change may go ahead.

Each check walks the values of one column and collects `Findings`: the offending records
(the first `MAX_LISTED` of them, with their value and what is wrong) and how many there are
in all. Findings become a `Refusal` in the plan.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..metamodel.model import Field
from .sync_ops import MAX_LISTED, Refusal
from .sync_state import fits

Values = Iterable[tuple[int, Any]]


@dataclass
class Findings:
    """Offending records: the first few as (record id or ids, value, why), and the total."""

    listed: list[tuple[Any, Any, str]] = field(default_factory=list)
    #: How many records are in the way.
    total: int = 0
    #: How many values were checked.
    checked: int = 0

    def add(self, who: Any, value: Any, why: str, records: int = 1) -> None:
        self.total += records
        if len(self.listed) < MAX_LISTED:
            self.listed.append((who, value, why))

    def __bool__(self) -> bool:
        return self.total > 0

    def record_ids(self) -> tuple[int, ...]:
        ids: list[int] = []
        for who, _, _ in self.listed:
            ids.extend(who if isinstance(who, list) else [who])
        return tuple(ids[:MAX_LISTED])

    def refusal(
        self, table: str, column: str, change: str, reason: str, detail: str = ""
    ) -> Refusal:
        return Refusal(
            table,
            column,
            change,
            reason,
            self.record_ids(),
            self.total,
            tuple(self.listed),
            detail,
        )


def conversions(field: Field, values: Values, keep: bool) -> tuple[Findings, dict[int, Any]]:
    """Convert every value to `field`'s type; the converted values too when `keep`."""
    findings, converted = Findings(), {}
    for row_id, value in values:
        findings.checked += 1
        try:
            new = field.kind.convert_existing(value, field)
        except (ValueError, TypeError) as exc:
            findings.add(row_id, value, str(exc) or type(exc).__name__)
            continue
        if keep:
            converted[row_id] = new
    return findings, converted


def cut_values(values: Values, sql: str) -> Findings:
    """Values that a column of type `sql` could not hold without cutting them."""
    findings = Findings()
    for row_id, value in values:
        findings.checked += 1
        if not fits(value, sql):
            findings.add(row_id, value, f"does not fit {sql}")
    return findings


def duplicates(values: Values) -> Findings:
    """Values held by more than one record, each listed with all its records."""
    holders: dict[Any, list[int]] = {}
    for row_id, value in values:
        holders.setdefault(value, []).append(row_id)
    findings = Findings()
    for value, ids in holders.items():
        if len(ids) > 1:
            findings.add(ids, value, "duplicate", records=len(ids))
    findings.checked = len(holders)
    return findings


def dangling(values: Values, known: set[Any], target: str) -> Findings:
    """Links to records of `target` that no longer exist."""
    findings = Findings()
    for row_id, value in values:
        findings.checked += 1
        if value not in known:
            findings.add(row_id, value, f"no record {value} in {target}")
    return findings

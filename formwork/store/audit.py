"""The audit log: who changed which record when, with the old and new value of each field.

Rows go into fw_audit on the same connection (so in the same transaction) as the change they
describe: a write that rolls back leaves no audit row, and no change goes unlogged. Values are
stored JSON-safe (decimals as text, dates in ISO format).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .input_schema import is_empty
from .system import AUDIT_TABLE
from .tables import Tables


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: dt.datetime
    user_id: int | None
    entity: str
    record_id: int
    action: str
    #: {field: [old, new]} in JSON-safe form.
    changes: Mapping[str, list[Any]]


def json_safe(value: Any) -> Any:
    """A value as JSON can hold it: Decimal → str, date/datetime → ISO text, recursively."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def created(values: Mapping[str, Any]) -> dict[str, list[Any]]:
    """What the audit row of a new record holds: `diff({}, its non-empty values)`, with
    quick paths for the usual kinds of value."""
    changes = {}
    for name, value in values.items():
        if value is None:
            continue
        kind = type(value)
        if kind is str:
            if value:
                changes[name] = [None, value]
        elif kind in _PLAIN:
            changes[name] = [None, value]
        elif kind is Decimal:
            changes[name] = [None, str(value)]
        elif not is_empty(value):
            changes[name] = [None, json_safe(value)]
    return changes


#: Types JSON holds as they are (no `json_safe` needed), never empty.
_PLAIN = frozenset({int, float, bool})


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for every key of `new` whose value differs from `old`."""
    changes = {}
    for name, value in new.items():
        before = old.get(name)
        if json_safe(before) != json_safe(value):
            changes[name] = [json_safe(before), json_safe(value)]
    return changes


def record_audit(
    conn: Connection,
    tables: Tables,
    *,
    at: dt.datetime,
    user_id: int | None,
    entity: str,
    record_id: int,
    action: str,
    changes: Mapping[str, list[Any]],
) -> None:
    conn.execute(
        tables.system(AUDIT_TABLE).insert(),
        {
            "at": at,
            "user_id": user_id,
            "entity": entity,
            "record_id": record_id,
            "action": action,
            "changes": dict(changes),
        },
    )


def read_history(conn: Connection, tables: Tables, entity: str, record_id: int) -> list[AuditEntry]:
    """The audit entries of one record, newest first."""
    audit = tables.system(AUDIT_TABLE)
    rows = conn.execute(
        sa.select(audit)
        .where(audit.c.entity == entity, audit.c.record_id == record_id)
        .order_by(audit.c.id.desc())
    )
    return [
        AuditEntry(
            id=row.id,
            at=row.at,
            user_id=row.user_id,
            entity=row.entity,
            record_id=row.record_id,
            action=row.action,
            changes=row.changes,
        )
        for row in rows
    ]

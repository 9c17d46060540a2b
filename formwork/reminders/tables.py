"""The to-do table, `fw_todo`: one row per person, reminder, record and day.

`add_todo_table` declares it on the app's MetaData (the store's `add_system_tables` calls
it), so schema sync creates and evolves it like every other table. The unique key (reminder,
record, day, person) is what makes generating twice create nothing twice.
"""

from __future__ import annotations

import sqlalchemy as sa

from ..metamodel.fieldtypes.columns import UtcDateTime, json_column
from ..store.system import ID_TYPE

TODO_TABLE = "fw_todo"


def add_todo_table(metadata: sa.MetaData) -> None:
    sa.Table(
        TODO_TABLE,
        metadata,
        #: A dated to-do for one user, made by a reminder for one record. Open while done_at
        #: and closed_at are empty; closed_at is set by the generator when the record no longer
        #: calls for it (deleted, condition no longer holds, date moved, superseded).
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("record_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        #: The day the to-do is for.
        sa.Column("due_on", sa.Date(), nullable=False),
        #: The text in each locale of the reminder's title: {"zh": …, "en": …}.
        sa.Column("title", json_column(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("done_at", UtcDateTime()),
        #: Put off: the to-do shows again on this day.
        sa.Column("snoozed_until", sa.Date()),
        sa.Column("closed_at", UtcDateTime()),
        sa.UniqueConstraint("rule", "record_id", "due_on", "user_id"),
        sa.Index("ix_fw_todo_user", "user_id", "due_on"),
    )

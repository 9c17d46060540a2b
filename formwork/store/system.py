"""Formwork's own tables: users, the audit log, numbering counters and the schema ledger.

Their names start with `fw_`, a prefix no entity may use. They are declared on the same
MetaData as the entity tables, so schema sync creates and evolves them the same way.
"""

from __future__ import annotations

import sqlalchemy as sa

from ..metamodel.fieldtypes.columns import UtcDateTime, json_column

#: Primary keys: BIGINT on PostgreSQL; SQLite only auto-increments an INTEGER PRIMARY KEY.
ID_TYPE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}

USER_TABLE = "fw_user"
AUDIT_TABLE = "fw_audit"
SEQUENCE_TABLE = "fw_sequence"
COLUMN_LEDGER_TABLE = "fw_column"
GRADE_TABLE = "fw_grade"
GRADE_OVERRIDE_TABLE = "fw_grade_override"
GRADE_LAYOUT_TABLE = "fw_grade_layout"
DAILY_TABLE = "fw_daily"


def add_system_tables(metadata: sa.MetaData) -> None:
    sa.Table(
        USER_TABLE,
        metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(80), nullable=False, unique=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254)),
        sa.Column("password_hash", sa.String(255)),
        sa.Column("roles", json_column(), nullable=False, default=list),
        sa.Column("active", sa.Boolean(), nullable=False, default=True),
        sa.Column("team", sa.String(64)),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    sa.Table(
        AUDIT_TABLE,
        metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("user_id", sa.BigInteger()),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("record_id", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        #: {field: [old, new]} in JSON-safe form (decimals and dates as text).
        sa.Column("changes", json_column(), nullable=False),
        sa.Index("ix_fw_audit_record", "entity", "record_id"),
    )
    sa.Table(
        SEQUENCE_TABLE,
        metadata,
        #: "<entity>.<field>:<period>", e.g. "order.number:2026".
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("value", sa.BigInteger(), nullable=False),
    )
    sa.Table(
        GRADE_TABLE,
        metadata,
        #: Every change of a record's grade, score or explanation, with its cause; the newest
        #: row of a record explains its current grade. The explanation is stored compactly
        #: (`rules.grade_explanation`: the inputs, read with the grading's layout).
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("grading", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("record_id", sa.BigInteger(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("user_id", sa.BigInteger()),
        sa.Column("old_grade", sa.String(20)),
        sa.Column("new_grade", sa.String(20)),
        sa.Column("old_score", sa.Float()),
        sa.Column("new_score", sa.Float()),
        #: record_edit, related_edit, bulk_regrade, config_change, manual, override_expiry
        sa.Column("cause", sa.String(30), nullable=False),
        sa.Column("explanation", json_column(), nullable=False),
        sa.Index("ix_fw_grade_record", "entity", "record_id"),
    )
    sa.Table(
        GRADE_LAYOUT_TABLE,
        metadata,
        #: Each version of a grading that explanations were written with, under its content's
        #: hash: the names, weights and band points that turn stored inputs into explanations.
        sa.Column("key", sa.String(32), primary_key=True),
        sa.Column("grading", sa.String(64), nullable=False),
        sa.Column("layout", json_column(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
    )
    sa.Table(
        GRADE_OVERRIDE_TABLE,
        metadata,
        #: A grade set by a person, with a reason, until it is cleared or expires.
        sa.Column("grading", sa.String(64), primary_key=True),
        sa.Column("entity", sa.String(64), primary_key=True),
        sa.Column("record_id", sa.BigInteger(), primary_key=True),
        sa.Column("grade", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("user_id", sa.BigInteger()),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime()),
    )
    sa.Table(
        COLUMN_LEDGER_TABLE,
        metadata,
        #: What each column of an entity table holds, so schema sync can tell a retype from a
        #: new field and find archived columns again. status: "active" or "archived".
        sa.Column("entity", sa.String(64), primary_key=True),
        sa.Column("column", sa.String(128), primary_key=True),
        sa.Column("field", sa.String(64), nullable=False),
        sa.Column("field_type", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("changed_at", UtcDateTime(), nullable=False),
    )
    sa.Table(
        DAILY_TABLE,
        metadata,
        #: The last day a once-a-day job (see store/daily.py) finished.
        sa.Column("job", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date(), nullable=False),
    )
    from .tokens import add_token_table  # tokens.py reads this module's names

    add_token_table(metadata)
    from ..flows.tables import add_flow_tables  # flows/tables.py reads this module's names

    add_flow_tables(metadata)
    from ..reminders.tables import add_todo_table  # reminders/tables.py reads this module

    add_todo_table(metadata)
    from ..overlay.tables import add_overlay_tables  # the site's config revisions and draft

    add_overlay_tables(metadata)

"""The flow engine's tables: flow versions, requests, tasks, events and notifications.

`add_flow_tables` declares them on the app's MetaData (the store's `add_system_tables` calls
it), so schema sync creates and evolves them like every other table. A request pins the
version of its flow (`fw_flow_version`, keyed by the hash of the flow's stored form) and
finishes on it whatever the config says by then.
"""

from __future__ import annotations

import sqlalchemy as sa

from ..metamodel.fieldtypes.columns import UtcDateTime, json_column
from ..store.system import ID_TYPE

VERSION_TABLE = "fw_flow_version"
REQUEST_TABLE = "fw_flow_request"
TASK_TABLE = "fw_flow_task"
EVENT_TABLE = "fw_flow_event"
NOTIFICATION_TABLE = "fw_notification"


def add_flow_tables(metadata: sa.MetaData) -> None:
    sa.Table(
        VERSION_TABLE,
        metadata,
        #: Each version of a flow a request started on, under the hash of its stored form.
        sa.Column("key", sa.String(32), primary_key=True),
        sa.Column("flow", sa.String(64), nullable=False),
        sa.Column("document", json_column(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
    )
    sa.Table(
        REQUEST_TABLE,
        metadata,
        #: One submission of one record: pending until approved, rejected, returned or
        #: withdrawn. `step_index` is the current step of the pinned version's steps.
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("flow", sa.String(64), nullable=False),
        sa.Column("version", sa.String(32), sa.ForeignKey(f"{VERSION_TABLE}.key"), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("record_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("step_index", sa.Integer()),
        sa.Column("submitted_by", sa.BigInteger()),
        sa.Column("submitted_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime()),
        #: "<entity>:<id>" while pending, else NULL: at most one pending request per record.
        sa.Column("open_key", sa.String(100), unique=True),
        sa.Index("ix_fw_flow_request_record", "entity", "record_id"),
        sa.Index("ix_fw_flow_request_submitter", "submitted_by", "status"),
    )
    sa.Table(
        TASK_TABLE,
        metadata,
        #: One person's part in one step. Tasks of a step that share a `slot` stand for one
        #: vote (an escalated task's successors); the first decision in a slot counts.
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column(
            "request_id",
            sa.BigInteger(),
            sa.ForeignKey(f"{REQUEST_TABLE}.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("step", sa.String(64), nullable=False),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("assignee", sa.BigInteger(), nullable=False),
        #: For a delegated task: whom the assignee decides for.
        sa.Column("on_behalf_of", sa.BigInteger()),
        #: approver, added or escalation.
        sa.Column("origin", sa.String(20), nullable=False),
        #: open, approved, rejected, returned, cancelled, escalated.
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("due_at", UtcDateTime()),
        sa.Column("reminded_at", UtcDateTime()),
        sa.Column("overdue_at", UtcDateTime()),
        sa.Column("decided_at", UtcDateTime()),
        sa.Column("comment", sa.Text()),
        sa.Index("ix_fw_flow_task_assignee", "assignee", "status"),
        sa.Index("ix_fw_flow_task_request", "request_id"),
        sa.Index("ix_fw_flow_task_due", "status", "due_at"),
    )
    sa.Table(
        EVENT_TABLE,
        metadata,
        #: The flow's history of a record: who did what, when, with which comment.
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.BigInteger(), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("record_id", sa.BigInteger(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("user_id", sa.BigInteger()),
        #: submit, approve, reject, return, withdraw, delegate, transfer, add_approver,
        #: skip (a step whose condition did not hold), escalate, finish.
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("step", sa.String(64)),
        sa.Column("task_id", sa.BigInteger()),
        sa.Column("comment", sa.Text()),
        #: e.g. {"to": user id} for a delegation, {"state": [old, new]} for a finish.
        sa.Column("detail", json_column(), nullable=False),
        sa.Index("ix_fw_flow_event_record", "entity", "record_id"),
    )
    sa.Table(
        NOTIFICATION_TABLE,
        metadata,
        #: A message for one user (a new task, a reminder, a decision on their request…).
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("record_id", sa.BigInteger(), nullable=False),
        sa.Column("request_id", sa.BigInteger()),
        sa.Column("task_id", sa.BigInteger()),
        sa.Column("actor_id", sa.BigInteger()),
        sa.Column("detail", json_column(), nullable=False),
        sa.Column("read_at", UtcDateTime()),
        sa.Index("ix_fw_notification_user", "user_id", "read_at"),
    )

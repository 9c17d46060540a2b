"""The site overlay's tables: the revisions and the draft.

`add_overlay_tables` declares them on the app's MetaData (the store's `add_system_tables`
calls it), so `formwork migrate` creates them like every other system table. The active
revision is the newest one: history is linear (a rollback is a new revision).
"""

from __future__ import annotations

import sqlalchemy as sa

from ..metamodel.fieldtypes.columns import UtcDateTime, json_column

REVISION_TABLE = "fw_config_revision"
DRAFT_TABLE = "fw_config_draft"
#: The draft table holds one row, under this key.
DRAFT_KEY = "site"


def add_overlay_tables(metadata: sa.MetaData) -> None:
    sa.Table(
        REVISION_TABLE,
        metadata,
        #: 1, 2, 3…: the newest is the active config.
        sa.Column("number", sa.Integer(), primary_key=True, autoincrement=False),
        #: The author's username (None when published from a terminal without one).
        sa.Column("author", sa.String(80)),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        #: The whole overlay: a list of patches as {op, path, value, base}.
        sa.Column("overlay", json_column(), nullable=False),
        #: What changed against the previous revision, in the same form.
        sa.Column("diff", json_column(), nullable=False),
    )
    sa.Table(
        DRAFT_TABLE,
        metadata,
        #: The site's one working overlay, edited by admins until it is published.
        sa.Column("key", sa.String(20), primary_key=True),
        sa.Column("overlay", json_column(), nullable=False),
        sa.Column("author", sa.String(80)),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        #: The active revision when the draft was saved (None: the package alone).
        sa.Column("based_on", sa.Integer()),
    )

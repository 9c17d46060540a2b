"""Schema sync: make the live database match the model without ever losing data.

`plan_sync` compares the model's tables with the database and returns a `SyncPlan` (what
`formwork plan` prints); `apply_sync` carries it out all-or-nothing (what `formwork migrate`
does). Removed fields are archived, type changes convert every value or are refused, a new
`unique` over duplicates is refused, renames follow `renamed_from`. See docs/schema-sync.md.

The work is split by concept: `sync_state` reads the database, `sync_ops` holds the plan's
steps, `sync_plan` decides them, `sync_apply` executes them.
"""

from .sync_apply import (
    SchemaSyncError,
    SchemaSyncRefused,
    SchemaSyncStale,
    SyncResult,
    apply_sync,
    plan_sync,
)
from .sync_ops import Operation, Refusal, SyncPlan

__all__ = [
    "Operation",
    "Refusal",
    "SchemaSyncError",
    "SchemaSyncRefused",
    "SchemaSyncStale",
    "SyncPlan",
    "SyncResult",
    "apply_sync",
    "plan_sync",
]

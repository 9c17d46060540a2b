"""Who performs a write, and the one hook where permissions will be checked.

The record service calls `policy.check` before it reads or writes anything; `AllowAll` lets
everything through (tests, tools), `permissions.ConfigPolicy` enforces the config's
permissions (roles, row scopes, hidden and read-only fields).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from ..metamodel.model import Entity

Action = Literal["create", "read", "update", "delete", "query", "export", "import"]


@dataclass(frozen=True, slots=True)
class Actor:
    """A signed-in user as the store sees them: a row of fw_user."""

    id: int
    username: str = ""
    roles: tuple[str, ...] = ()
    #: The user's team, for the `team` scope of permissions.
    team: str | None = None


def actor_id(user: Actor | int | None) -> int | None:
    """The fw_user id of whoever acts (None for the system itself)."""
    if user is None or isinstance(user, int):
        return user
    return user.id


class AccessPolicy(Protocol):
    def check(self, user: Actor | int | None, action: Action, entity: Entity) -> None:
        """Raise (a RecordError subclass) when `user` may not do `action` on `entity`."""

    def row_filter(self, user: Actor | int | None, action: str, entity: Entity) -> Any:
        """An SQL condition on the entity's table for the rows `user` may `action` (None: all)."""

    def hidden(self, user: Actor | int | None, entity: Entity) -> frozenset[str]:
        """Fields `user` may not see (nor filter, sort or search on)."""

    def readonly(self, user: Actor | int | None, entity: Entity) -> frozenset[str]:
        """Fields `user` may not write (the hidden ones included)."""


class AllowAll:
    """Everyone may do everything: for tests and trusted tools."""

    def check(self, user: Actor | int | None, action: Action, entity: Entity) -> None:
        return None

    def row_filter(self, user: Actor | int | None, action: str, entity: Entity) -> Any:
        return None

    def hidden(self, user: Actor | int | None, entity: Entity) -> frozenset[str]:
        return frozenset()

    def readonly(self, user: Actor | int | None, entity: Entity) -> frozenset[str]:
        return frozenset()

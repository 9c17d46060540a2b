"""Who performs a write, and the one hook where permissions will be checked.

The auth issue extends `Actor` and supplies a real `AccessPolicy`; until then every action
is allowed. The record service calls `policy.check` before it reads or writes anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from ..metamodel.model import Entity

Action = Literal["create", "read", "update", "delete", "query"]


@dataclass(frozen=True, slots=True)
class Actor:
    """A signed-in user as the store sees them: a row of fw_user."""

    id: int
    username: str = ""
    roles: tuple[str, ...] = ()


def actor_id(user: Actor | int | None) -> int | None:
    """The fw_user id of whoever acts (None for the system itself)."""
    if user is None or isinstance(user, int):
        return user
    return user.id


class AccessPolicy(Protocol):
    def check(self, user: Actor | int | None, action: Action, entity: Entity) -> None:
        """Raise (a RecordError subclass) when `user` may not do `action` on `entity`."""


class AllowAll:
    """The policy until permissions exist: everyone may do everything."""

    def check(self, user: Actor | int | None, action: Action, entity: Entity) -> None:
        return None

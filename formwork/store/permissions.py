"""The config's permissions, enforced where records are read and written.

`ConfigPolicy` answers, for a user and an entity: may they act at all (`check`), which rows
(`row_filter`, an SQL condition added to every read, list and write, so a row out of scope is
simply not found), and which fields they may not see or not write. A user holds several roles:
they may do what any of their roles allows; a field is hidden only if every role that lets
them read hides it. The system itself (`user=None`, or a bare user id from trusted code such
as the CLI) is not restricted; the web and the API always act as an `Actor`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..metamodel.model import FULL_ACCESS, App, Entity, RolePermissions, Scope, frozen_map
from ..rules.checker import CheckedFormula, check
from ..rules.functions import FunctionRegistry, SqlContext, default_functions
from ..rules.ir import BOOL
from ..rules.scope import Scope as FormulaScope
from ..rules.sqlcompile import to_sql
from .actor import AccessPolicy, Action, Actor
from .errors import Forbidden, ValidationFailed, message
from .record import Record
from .system import USER_TABLE
from .tables import Tables

ROW_ACTIONS = {
    "read": "read",
    "query": "read",
    "update": "write",
    "delete": "delete",
    "export": "export",
}


@dataclass(frozen=True)
class Grant:
    """What a user may do with one entity, their roles merged."""

    roles: tuple[RolePermissions, ...]

    @property
    def unrestricted(self) -> bool:
        return self.roles == (FULL_ACCESS,)

    def scopes(self, action: str) -> list[Scope]:
        return [getattr(r, ROW_ACTIONS.get(action, action)) for r in self.roles]

    def allows(self, action: str) -> bool:
        if action == "create":
            return any(r.create for r in self.roles)
        if action == "import":
            return any(r.import_ for r in self.roles)
        return any(s.kind != "none" for s in self.scopes(action))

    def hidden(self) -> frozenset[str]:
        readers = [r for r in self.roles if r.read.kind != "none"]
        return frozenset.intersection(*(r.hidden for r in readers)) if readers else frozenset()

    def readonly(self) -> frozenset[str]:
        writers = [r for r in self.roles if r.write.kind != "none" or r.create]
        common = frozenset.intersection(*(r.readonly for r in writers)) if writers else frozenset()
        return common | self.hidden()


UNRESTRICTED = Grant((FULL_ACCESS,))


class ConfigPolicy:
    def __init__(
        self, app: App, tables: Tables, dialect: str, functions: FunctionRegistry | None = None
    ) -> None:
        self.app = app
        self.tables = tables
        self.dialect = dialect
        self.functions = functions or default_functions()
        self._formulas: dict[tuple[str, str], CheckedFormula] = {}

    def grant(self, user: Actor | int | None, entity: Entity) -> Grant:
        if user is None or isinstance(user, int) or not entity.permissions:
            return UNRESTRICTED
        roles = tuple(entity.permissions[r] for r in user.roles if r in entity.permissions)
        return Grant(roles)

    def check(self, user: Actor | int | None, action: Action, entity: Entity) -> None:
        if not self.grant(user, entity).allows(action):
            raise Forbidden(action, entity.label.get(self.app.default_locale, entity.name))

    def row_filter(
        self, user: Actor | int | None, action: str, entity: Entity, today: dt.date | None = None
    ) -> Any:
        """The SQL condition on the entity's table for the rows `user` may `action`
        (None: every row)."""
        grant = self.grant(user, entity)
        if grant.unrestricted:
            return None
        assert isinstance(user, Actor)
        conditions = []
        for scope in grant.scopes(action):
            if scope.kind == "all":
                return None
            if scope.kind != "none":
                conditions.append(self._scope_sql(user, entity, scope, today))
        return sa.or_(*conditions) if conditions else sa.false()

    def hidden(self, user: Actor | int | None, entity: Entity) -> frozenset[str]:
        return self.grant(user, entity).hidden()

    def readonly(self, user: Actor | int | None, entity: Entity) -> frozenset[str]:
        return self.grant(user, entity).readonly()

    def _scope_sql(self, user: Actor, entity: Entity, scope: Scope, today: dt.date | None) -> Any:
        table = self.tables[entity.name]
        owner = table.c[entity.owner or "created_by"]
        if scope.kind == "own":
            return owner == user.id
        if scope.kind == "team":
            if user.team is None:
                return owner == user.id
            users = self.tables.system(USER_TABLE)
            return owner.in_(sa.select(users.c.id).where(users.c.team == user.team))
        assert scope.formula is not None
        key = (entity.name, scope.formula)
        if key not in self._formulas:
            formula_scope = FormulaScope(self.app, entity.name, self.functions)
            self._formulas[key] = check(scope.formula, formula_scope, expect=BOOL)
        ctx = SqlContext(self.dialect, today or dt.datetime.now(dt.UTC).date())
        return to_sql(self._formulas[key], self.app, entity.name, self.tables, self.functions, ctx)


def guard_fields(policy: AccessPolicy, ent: Entity, user: Actor | int | None, data: Any) -> None:
    """Hidden fields are unknown to the user; read-only ones cannot be written."""
    hidden, readonly = policy.hidden(user, ent), policy.readonly(user, ent)
    if not (hidden or readonly) or not isinstance(data, Mapping):
        return
    errors = {}
    for name in data:
        if name in hidden:
            errors[str(name)] = [message("unknown_field")]
        elif name in readonly:
            errors[str(name)] = [message("not_writable")]
    if errors:
        raise ValidationFailed(errors)


def shown(
    policy: AccessPolicy, ent: Entity, user: Actor | int | None, records: list[Record]
) -> list[Record]:
    """The records without the fields the user may not see."""
    hidden = policy.hidden(user, ent)
    if not hidden:
        return records
    return [
        dataclasses.replace(
            r, values=frozen_map({k: v for k, v in r.values.items() if k not in hidden})
        )
        for r in records
    ]


__all__ = ["ConfigPolicy", "Forbidden", "Grant", "guard_fields", "shown"]

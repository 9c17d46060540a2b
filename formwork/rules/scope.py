"""What a formula can see: the fields of its entity, linked records' fields, related records.

A `Scope` answers the type checker's questions about names: `amount` is a number field,
`account.tier` goes through the `account` link to a text field, `orders` is a relation
(records of another entity pointing here) that aggregates can sum and count over.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..metamodel.model import USER_ENTITY, App, Entity, Field
from .functions import FunctionRegistry
from .ir import BOOL, DATE, DATETIME, LIST, NUMBER, TEXT
from .syntax import FormulaError

#: Fields of a user that formulas may read through a `to: user` link.
USER_FIELDS = {"username": TEXT, "display_name": TEXT, "email": TEXT}
MAX_LINK_HOPS = 3
LINK = "link"
VALUE_TYPES = frozenset({NUMBER, TEXT, BOOL, DATE, DATETIME, LIST, LINK})


@dataclass(frozen=True, slots=True)
class Relation:
    """Records of `entity` whose `via` column points at the current record."""

    name: str
    entity: str
    via: str


class Scope:
    def __init__(
        self,
        app: App,
        entity: str,
        functions: FunctionRegistry,
        relations: dict[str, Relation] | None = None,
    ) -> None:
        self.app = app
        self.entity: Entity = app.entity(entity)
        self.functions = functions
        self.relations = dict(relations) if relations is not None else relations_of(app, entity)

    def for_entity(self, entity: str) -> Scope:
        """The scope of another entity (aggregate conditions are about the related records)."""
        return Scope(self.app, entity, self.functions)

    def resolve(self, path: tuple[str, ...], column: int) -> str:
        """The value type of a field path; FormulaError if any step does not exist."""
        entity: Entity | None = self.entity
        for index, name in enumerate(path):
            last = index == len(path) - 1
            if entity is None:  # a user: only a few fields are readable
                if name in USER_FIELDS and last:
                    return USER_FIELDS[name]
                if name in USER_FIELDS:
                    raise FormulaError(
                        f"{name} is not a link, so {name}.{path[index + 1]} is not a field",
                        column,
                        code="FW503",
                    )
                raise FormulaError(
                    f"users have no field {name!r}",
                    column,
                    f"Readable: {', '.join(USER_FIELDS)}.",
                    code="FW502",
                )
            field = entity.fields.get(name)
            if field is None:
                raise FormulaError(_unknown(name, entity), column, _suggest(name, entity), "FW502")
            kind = field.kind.value_type
            if kind is None:
                raise FormulaError(
                    f"a {field.type} field cannot be used in formulas: {name}", column, code="FW503"
                )
            if last:
                return kind
            if kind != LINK:
                raise FormulaError(
                    f"{name} is not a link, so {name}.{path[index + 1]} is not a field",
                    column,
                    code="FW503",
                )
            if index + 1 >= MAX_LINK_HOPS:
                raise FormulaError(
                    f"at most {MAX_LINK_HOPS} links may be followed", column, code="FW503"
                )
            entity = _target(self.app, field)
        raise FormulaError("empty field path", column)  # pragma: no cover - paths are non-empty


def relations_of(app: App, entity: str) -> dict[str, Relation]:
    """An entity's relations: its child tables, and the ones it declares (`related:`)."""
    relations = {}
    for field in app.entity(entity).fields.values():
        if field.type == "table":
            relations[field.name] = Relation(field.name, field.setting("to"), "parent_id")
    for name, spec in app.entity(entity).related.items():
        relations[name] = Relation(name, spec.entity, spec.via)
    return relations


def _target(app: App, field: Field) -> Entity | None:
    target = field.setting("to")
    return None if target == USER_ENTITY else app.entity(target)


def _unknown(name: str, entity: Entity) -> str:
    return f"{entity.name} has no field {name!r}"


def _suggest(name: str, entity: Entity) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(entity.fields), n=1)
    return (
        f"Did you mean {close[0]!r}?" if close else f"Fields: {', '.join(list(entity.fields)[:20])}"
    )

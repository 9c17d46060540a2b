"""The inputs of a field's type-specific settings, read from what the field type accepts.

Every field type declares its settings as JSON Schema (`FieldType.settings`): `max_length`
is an integer, `on_delete` one of three words, `accept` a list of text. Each becomes an
input of the matching kind, so a field type registered by a plugin gets its settings form
with no template of its own. `to` names an entity, so it is offered as a choice of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...metamodel.fieldtypes import FieldType
from ...metamodel.model import USER_ENTITY
from ...overlay.paths import MISSING
from .posted import Posted

#: Widgets whose `to` is a child entity of the field's own entity (the rows of a table).
CHILD_WIDGETS = ("table",)


@dataclass(frozen=True)
class SettingInput:
    """One setting's input: `kind` is number, text, choice, flag, list or entity."""

    key: str
    kind: str
    description: str
    required: bool = False
    choices: tuple[str, ...] = ()
    default: Any = None


def setting_inputs(kind: FieldType, entities: dict[str, Any], entity: str) -> list[SettingInput]:
    """The inputs for `kind`'s settings on a field of `entity` (`entities`: the document's)."""
    inputs = []
    for key, schema in kind.settings.items():
        required = key in kind.required_settings
        description = str(schema.get("description", ""))
        default = schema.get("default")
        if key == "to":
            inputs.append(
                SettingInput(key, "entity", description, required, _targets(kind, entities, entity))
            )
        elif "enum" in schema:
            choices = tuple(str(v) for v in schema["enum"])
            inputs.append(SettingInput(key, "choice", description, required, choices, default))
        elif schema.get("type") in ("integer", "number"):
            inputs.append(SettingInput(key, "number", description, required, default=default))
        elif schema.get("type") == "boolean":
            inputs.append(SettingInput(key, "flag", description, required, default=default))
        elif schema.get("type") == "array":
            inputs.append(SettingInput(key, "list", description, required, default=default))
        else:
            inputs.append(SettingInput(key, "text", description, required, default=default))
    return inputs


def _targets(kind: FieldType, entities: dict[str, Any], entity: str) -> tuple[str, ...]:
    if kind.widget in CHILD_WIDGETS:
        return tuple(
            name
            for name, doc in entities.items()
            if isinstance(doc, dict) and doc.get("child_of") == entity
        )
    plain = [n for n, doc in entities.items() if isinstance(doc, dict) and not doc.get("child_of")]
    return (*plain, USER_ENTITY)


def read_setting(posted: Posted, name: str, setting: SettingInput, current: Any) -> Any:
    """The posted value of one setting (`name`: its input's name)."""
    if setting.kind == "number":
        return posted.number(name, current)
    if setting.kind == "flag":
        return posted.flag(name, current, default=bool(setting.default))
    if setting.kind == "list":
        if not posted.has(name):
            return current
        items = [part.strip() for part in posted.raw(name).split(",") if part.strip()]
        return items or MISSING
    if setting.kind == "choice":
        return posted.choice(name, current, setting.choices)
    return posted.text(name, current)

"""The config reference (docs/config-reference.md), generated from the schema and the registry.

Nothing here is written by hand: keys, types, defaults and descriptions come from the JSON
Schema (`schema.py`) and each field type's class attributes, so the reference cannot drift
from what the loader accepts. `python -m formwork.metamodel.reference --write` regenerates the
reference and the published schema files; a test fails when either is out of date.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .fieldtypes import FieldType, FieldTypeRegistry, default_registry
from .package import SECTIONS
from .schema import (
    COMMON_FIELD_KEYS,
    SCHEMA_DIR,
    app_schema,
    dashboard_schema,
    entity_schema,
    flow_schema,
    reminder_schema,
    test_schema,
    write_published,
)

REFERENCE_PATH = Path(__file__).resolve().parents[2] / "docs" / "config-reference.md"
REGENERATE = "python -m formwork.metamodel.reference --write"

LAYOUT = """\
A package is a folder. Files may be YAML (`.yaml`, `.yml`) or JSON (`.json`).

```
my_app/
  app.yaml                    the app: name, title, locales, roles, navigation
{folders}
```

Each YAML file may start with a line that lets editors check and complete it:

```yaml
# yaml-language-server: $schema=../../formwork/metamodel/schema/entity.schema.json
```

The schema files are in `formwork/metamodel/schema/`. Mistakes are reported with file, line,
path, a hint and a code explained in [errors.md](errors.md).
"""


#: How the layout names what a file of a kind holds, where the kind's name alone does not say.
KIND_WORDS = {"test": "test suite"}


def _layout() -> str:
    folders = [
        f"  {folder + '/<name>.yaml':<28}one {KIND_WORDS.get(kind, kind)} per file"
        for folder, kind in SECTIONS.items()
    ]
    return LAYOUT.format(folders="\n".join(folders))


def render_reference(types: FieldTypeRegistry) -> str:
    """The whole reference as Markdown."""
    app, entity = app_schema(), entity_schema(types)
    props = entity["properties"]
    parts = [
        "# Config reference",
        f"Generated from the JSON Schema and the field-type registry by `{REGENERATE}`; "
        "do not edit by hand.",
        "## Package layout",
        _layout().rstrip(),
        "## app.yaml",
        app["title"],
        _key_table(app["properties"], app["required"]),
        "### Roles",
        "Each key of `roles` is a role name (lower_snake_case) holding:",
        _key_table(
            app["properties"]["roles"]["additionalProperties"]["properties"],
            app["properties"]["roles"]["additionalProperties"]["required"],
        ),
        "## Labels",
        "Every `label`, `plural_label`, `help` and `description`, and the app's `title`, is "
        "either plain text in the default locale or one text per locale: "
        "`label: {zh: 订单, en: Order}`. The default locale must be present; other locales "
        "must be listed in `locales`.",
        "## Entities (`entities/*.yaml`)",
        entity["title"],
        _key_table(props, entity["required"]),
        "### list",
        _key_table(props["list"]["properties"], []),
        "### form",
        "`form.sections` is a list; each section has:",
        _key_table(
            props["form"]["properties"]["sections"]["items"]["properties"],
            props["form"]["properties"]["sections"]["items"]["required"],
        ),
        "## Fields",
        "Each key of `fields` is a field name (lower_snake_case, not a system column such as "
        "`id`, `created_at` or `version`, not a Python keyword, not starting with `fw_`). "
        "Keys every field may have:",
        _key_table(COMMON_FIELD_KEYS, ["type"]),
        "An option is plain text (the stored value) or a mapping:",
        _key_table(entity["$defs"]["option"]["oneOf"][1]["properties"], ["value"]),
        "## Field types",
        _type_summary(types),
        *(_type_section(kind) for kind in types),
        *_flow_sections(),
        *_dashboard_sections(),
        *_reminder_sections(),
        *_test_sections(),
    ]
    return "\n\n".join(part.rstrip() for part in parts) + "\n"


def _flow_sections() -> list[str]:
    """The keys of flow files; how flows run is in docs/flows.md."""
    schema = flow_schema()
    defs = schema["$defs"]
    return [
        "## Flows (`flows/*.yaml`)",
        f"{schema['title']} See [flows.md](flows.md).",
        _key_table(schema["properties"], schema["required"]),
        "Each state under `states` has:",
        _key_table(
            schema["properties"]["states"]["additionalProperties"]["properties"],
            schema["properties"]["states"]["additionalProperties"]["required"],
        ),
        "### submit",
        _key_table(
            schema["properties"]["submit"]["properties"],
            schema["properties"]["submit"]["required"],
        ),
        "### steps",
        "Each item of `steps`:",
        _key_table(defs["step"]["properties"], defs["step"]["required"]),
        "### approver",
        defs["approver"]["description"] + " Each approver has exactly one key:",
        _key_table(defs["approver"]["properties"], []),
        "### effect",
        defs["effect"]["description"],
        _key_table(defs["effect"]["properties"], []),
    ]


def _reminder_sections() -> list[str]:
    """The keys of reminder files; how to-dos are made is in docs/reminders.md."""
    schema = reminder_schema()
    recipient = schema["$defs"]["recipient"]
    return [
        "## Reminders (`reminders/*.yaml`)",
        f"{schema['title']} See [reminders.md](reminders.md).",
        _key_table(schema["properties"], schema["required"]),
        "### recipient",
        recipient["description"] + " Each item of `to` has exactly one key:",
        _key_table(recipient["properties"], []),
    ]


def _dashboard_sections() -> list[str]:
    """The keys of dashboard files; what widgets show is in docs/dashboards.md."""
    schema = dashboard_schema()
    widget = schema["$defs"]["widget_keys"]
    return [
        "## Dashboards (`dashboards/*.yaml`)",
        f"{schema['title']} See [dashboards.md](dashboards.md).",
        _key_table(schema["properties"], schema["required"]),
        "### widgets",
        "Each item of `widgets`:",
        _key_table(widget["properties"], widget["required"]),
    ]


def _test_sections() -> list[str]:
    """The keys of test files; how cases run is in docs/package-tests.md."""
    schema = test_schema()
    defs = schema["$defs"]
    return [
        "## Tests (`tests/*.yaml`)",
        f"{schema['title']} Run them with `formwork test`; see "
        "[package-tests.md](package-tests.md).",
        _key_table(schema["properties"], schema["required"]),
        "### cases",
        "Each item of `cases`:",
        _key_table(defs["case"]["properties"], defs["case"]["required"]),
        "### given",
        defs["step"]["description"],
        _key_table(defs["step"]["properties"], []),
        "### expect",
        _key_table(defs["expectation"]["properties"], []),
        "`explanation` checks the grade's stored explanation:",
        _key_table(defs["expectation"]["properties"]["explanation"]["properties"], []),
        "An expected value is the value itself or a comparison:",
        _key_table(defs["comparison"]["properties"], []),
    ]


def _type_summary(types: Iterable[FieldType]) -> str:
    rows = [
        f"| [`{k.name}`](#{k.name}) | {_cell(k.description)} | {k.widget} | "
        f"{_yes(k.stored)} | {_yes(k.writable)} |"
        for k in types
    ]
    head = "| Type | Description | Widget | Stored | Writable |\n|---|---|---|---|---|"
    return "\n".join([head, *rows])


def _type_section(kind: FieldType) -> str:
    facts = [
        f"- Widget: `{kind.widget}`",
        f"- Stored as a column: {_yes(kind.stored)}",
        f"- Writable by people and callers: {_yes(kind.writable)}",
    ]
    if kind.has_options:
        facts.append("- Needs `options`.")
    if kind.searchable:
        facts.append("- Can be searched as text.")
    if kind.ordered:
        facts.append("- Can be sorted on.")
    settings = (
        _key_table(kind.settings, list(kind.required_settings))
        if kind.settings
        else "No settings of its own."
    )
    return "\n\n".join([f"### {kind.name}", kind.description, "\n".join(facts), settings])


def _key_table(properties: Mapping[str, Any], required: Iterable[str]) -> str:
    needed = set(required)
    rows = [
        f"| `{name}` | {_type_words(spec)} | {_default(spec, name in needed)} | "
        f"{_cell(spec.get('description', ''))} |"
        for name, spec in properties.items()
        if name != "$schema"
    ]
    return "\n".join(["| Key | Type | Default | Description |", "|---|---|---|---|", *rows])


def _type_words(spec: Mapping[str, Any]) -> str:
    if spec.get("$ref", "").endswith("/label"):
        return "label"
    if spec.get("$ref", "").endswith("/option"):
        return "option"
    if "$ref" in spec:
        return spec["$ref"].rsplit("/", 1)[-1]
    if "enum" in spec:
        return "one of " + ", ".join(f"`{v}`" for v in spec["enum"])
    if "oneOf" in spec:
        return " or ".join(_type_words(branch) for branch in spec["oneOf"])
    kind = spec.get("type")
    if kind == "array":
        return f"list of {_type_words(spec.get('items', {}))}"
    if kind == "object":
        return "mapping"
    words = {"string": "text", "integer": "whole number", "number": "number", "boolean": "bool"}
    text = words.get(kind, "any") if isinstance(kind, str) else "any"
    limits = [
        f"{word} {spec[key]}"
        for key, word in (("minimum", "≥"), ("exclusiveMinimum", ">"), ("maximum", "≤"))
        if key in spec
    ]
    return f"{text} ({', '.join(limits)})" if limits else text


def _default(spec: Mapping[str, Any], required: bool) -> str:
    if required:
        return "required"
    if "default" in spec:
        return f"`{json.dumps(spec['default'], ensure_ascii=False)}`"
    return ""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def write_all(types: FieldTypeRegistry, reference: Path = REFERENCE_PATH) -> list[Path]:
    """Write the reference and the published schema files; returns their paths."""
    reference.parent.mkdir(parents=True, exist_ok=True)
    reference.write_text(render_reference(types), encoding="utf-8")
    return [reference, *write_published(types, SCHEMA_DIR)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--write", action="store_true", help="write docs/config-reference.md and the schemas"
    )
    args = parser.parse_args(argv)
    types = default_registry()
    if args.write:
        for path in write_all(types):
            print(f"wrote {path}")
    else:
        print(render_reference(types), end="")


if __name__ == "__main__":
    main()

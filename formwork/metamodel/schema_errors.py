"""jsonschema's errors → Problems a person can act on.

A shape error becomes one problem (or one per unknown key) with the node's path and line, a
short message in plain words, and a hint: the nearest allowed key or value, the allowed list,
the limit that was crossed. oneOf errors are narrowed to the branch meant for the value.
"""

from __future__ import annotations

import difflib
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError

from .problems import Location, Problem
from .schema import COMMON_FIELD_KEYS, LOCALE_PATTERN, NAME_PATTERN
from .source import DocPath, SourceMap, format_path


def schema_problems(error: ValidationError, prefix: DocPath, sources: SourceMap) -> list[Problem]:
    """Turn a jsonschema error into Problems a person can act on."""
    error = _best_leaf(error)
    path: DocPath = (*prefix, *error.absolute_path)
    where = sources.locate(path)
    validator, value, instance = error.validator, error.validator_value, error.instance
    if validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else str(value)
        return [
            Problem(
                "FW201",
                format_path((*path, missing)),
                f"missing required key {missing!r}",
                where,
                f"Add `{missing}:` here.",
            )
        ]
    if validator == "additionalProperties":
        declared = error.schema.get("properties", {})
        extra = [k for k in instance if k not in declared] if isinstance(instance, dict) else []
        allowed = _allowed_keys(error.schema, instance)
        return [
            Problem(
                "FW202",
                format_path((*path, key)),
                f"unknown key {key!r}",
                sources.locate((*path, key)) or where,
                _did_you_mean(key, allowed),
            )
            for key in extra
        ]
    if validator == "type" or (validator == "oneOf" and _all_wrong_type(error)):
        expected = value if validator == "type" else _branch_types(error)
        return [
            Problem(
                "FW203",
                format_path(path),
                f"expected {_type_words(expected)}, found {json_type(instance)}",
                where,
                _type_hint(expected),
            )
        ]
    if validator in ("enum", "const"):
        return [_not_allowed(path, instance, value, where)]
    if "propertyNames" in error.absolute_schema_path:
        # The error sits on the mapping; the culprit is one of its keys.
        path = (*path, str(instance))
        where = sources.locate(path)
    if validator == "pattern" and value == NAME_PATTERN:
        return [
            Problem(
                "FW301",
                format_path(path),
                f"{instance!r} is not a valid name",
                where,
                "Names are lower_snake_case: a letter, then letters, digits and _.",
            )
        ]
    return [
        Problem(
            "FW205",
            format_path(path),
            _shape_message(validator, value, instance),
            where,
            _shape_hint(validator, value),
        )
    ]


def _allowed_keys(schema: dict[str, Any], instance: Any) -> list[str]:
    """The keys to suggest: for a field, the common keys and its own type's settings."""
    kind = instance.get("type") if isinstance(instance, dict) else None
    if "allOf" not in schema or kind not in schema["properties"]["type"].get("enum", ()):
        return sorted(schema.get("properties", {}))
    own: set[str] = set()
    common = set(COMMON_FIELD_KEYS) - {"options"}
    for branch in schema["allOf"]:
        if branch["if"]["properties"]["type"]["const"] == kind:
            own = set(branch["then"]["properties"]) | set(branch["then"]["required"])
    return sorted(common | own)


def _not_allowed(path: DocPath, instance: Any, value: Any, where: Location | None) -> Problem:
    choices = [str(c) for c in (value if isinstance(value, list) else [value])]
    is_field_type = len(path) >= 4 and path[-1] == "type" and path[-3] == "fields"
    what = "unknown field type" if is_field_type else "value not allowed:"
    return Problem(
        "FW204",
        format_path(path),
        f"{what} {instance!r}",
        where,
        _did_you_mean(str(instance), choices),
    )


def _best_leaf(error: ValidationError) -> ValidationError:
    """For oneOf/anyOf errors, report why the branch meant for this kind of value failed.

    A branch whose top-level `type` does not match the value was not meant for it; among the
    others, jsonschema's `best_match` picks the most relevant error.
    """
    if not error.context:
        return error
    wrong_type = _wrong_type_branches(error)
    meant = [e for e in error.context if e.relative_schema_path[0] not in wrong_type]
    best = jsonschema.exceptions.best_match(meant) if meant else None
    return _best_leaf(best) if best is not None else error


def _wrong_type_branches(error: ValidationError) -> set[Any]:
    return {
        e.relative_schema_path[0]
        for e in error.context or ()
        if e.validator == "type" and not e.relative_path
    }


def _all_wrong_type(error: ValidationError) -> bool:
    branches = error.validator_value if isinstance(error.validator_value, list) else []
    return bool(branches) and len(_wrong_type_branches(error)) == len(branches)


def _branch_types(error: ValidationError) -> list[str]:
    kinds: list[str] = []
    for branch in error.validator_value:
        kind = branch.get("type") if isinstance(branch, dict) else None
        for k in kind if isinstance(kind, list) else [kind]:
            if k and k not in kinds:
                kinds.append(k)
    return kinds


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    listed = ", ".join(choices[:30]) + (", …" if len(choices) > 30 else "")
    return f"Did you mean {close[0]!r}? Allowed: {listed}." if close else f"Allowed: {listed}."


def _shape_message(validator: str, value: Any, instance: Any) -> str:
    messages = {
        "minItems": f"needs at least {value} item(s)",
        "maxItems": f"allows at most {value} item(s)",
        "minProperties": f"needs at least {value} entry(ies)",
        "uniqueItems": "lists an item more than once",
        "minimum": f"{instance!r} is below the minimum {value}",
        "maximum": f"{instance!r} is above the maximum {value}",
        "exclusiveMinimum": f"{instance!r} must be above {value}",
        "exclusiveMaximum": f"{instance!r} must be below {value}",
        "minLength": "must not be empty" if value == 1 else f"needs at least {value} characters",
        "maxLength": f"allows at most {value} characters",
        "pattern": f"{instance!r} is badly formed",
    }
    return messages.get(validator, f"{json_type(instance)} is not valid here")


def _shape_hint(validator: str, value: Any) -> str:
    if validator == "pattern":
        if value == LOCALE_PATTERN:
            return "Locales look like zh, en or zh-CN."
        return f"The value must match the regular expression {value}."
    hints = {
        "minItems": f"Give at least {value} item(s).",
        "maxItems": f"Give at most {value} item(s).",
        "minProperties": f"Give at least {value} entry(ies).",
        "uniqueItems": "Remove the repeated item.",
        "minimum": f"The smallest allowed value is {value}.",
        "maximum": f"The largest allowed value is {value}.",
        "exclusiveMinimum": f"Give a value above {value}.",
        "exclusiveMaximum": f"Give a value below {value}.",
        "minLength": "Give some text.",
    }
    return hints.get(validator, "See docs/config-reference.md for this key.")


def _type_hint(value: Any) -> str:
    kinds = value if isinstance(value, list) else [value]
    if kinds == ["boolean"]:
        return "Write true or false, without quotes."
    if kinds in (["integer"], ["number"]):
        return "Write the number without quotes or units."
    if "object" in kinds and "string" in kinds:
        return "Write text, or one text per locale: {zh: 订单, en: Order}."
    if kinds == ["object"]:
        return "Write `key: value` lines indented below this key."
    if kinds == ["array"]:
        return "Write a list: [a, b] or one `- item` per line."
    return f"Write {_type_words(value)} here."


def _type_words(value: Any) -> str:
    kinds = value if isinstance(value, list) else [value]
    words = {
        "object": "a mapping",
        "array": "a list",
        "string": "text",
        "integer": "a whole number",
        "number": "a number",
        "boolean": "true or false",
        "null": "nothing",
    }
    return " or ".join(words.get(k, k) for k in kinds)


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return f"true/false ({str(value).lower()})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"text {value!r}"
    if value is None:
        return "nothing"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    return f"{type(value).__name__} {value!r}"

"""The query parameters of a list request, turned into a store `Query`.

    q=words                        every word in one of the list's search fields
    sort=-score,name               sort keys, "-" for descending (default: the list's sort)
    page_size=50                   1 to 500 (default: the list's page size)
    after=<next_cursor>            the page after the one that gave this cursor
    filter[<field>]=v              equals v; repeat it for "any of" (a tag field: "has all")
    filter[<field>][<op>]=v        op: ne, lt, le, gt, ge, contains
    filter[<field>][empty]=true    has no value (false: has one)

Fields are the entity's fields the user may see and the system columns (id, created_at,
created_by, updated_at, updated_by). Unlike the web pages, which drop what they cannot use,
the API refuses anything it does not understand with 400 and says why, keyed by the
parameter: a typo must not quietly return every record.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from ..metamodel.model import Entity, Field
from ..store.errors import QueryError
from ..store.query import SYSTEM_FIELDS, Filter, Query
from .errors import bad_request

LIST_PARAMS = ("q", "sort", "page_size", "after")
#: Operators one value is given to (eq takes several; empty takes true or false).
SINGLE_OPS = ("ne", "lt", "le", "gt", "ge", "contains")
FILTER_OPS = ("eq", *SINGLE_OPS, "empty")
FILTER_KEY = re.compile(r"filter\[([^\[\]]+)\](?:\[([^\[\]]+)\])?")
TRUE, FALSE = ("true", "1"), ("false", "0")


@dataclass(frozen=True)
class ListRequest:
    query: Query
    #: For each of the query's filters, the parameter it came from (to name it in errors).
    sources: tuple[str, ...]

    def param_errors(self, error: QueryError) -> dict[str, list[str]]:
        """The store's errors (keyed `filters[3]`, `sort`, …) keyed by parameter names."""
        out: dict[str, list[str]] = {}
        for key, texts in error.errors.items():
            match = re.fullmatch(r"filters\[(\d+)\]", key)
            name = self.sources[int(match.group(1))] if match else key
            out.setdefault(name, []).extend(texts)
        return out


def parse_list_request(
    entity: Entity, args: MultiDict[str, str], hidden: frozenset[str]
) -> ListRequest:
    """The query a list request asks for; an ApiError (400) naming every bad parameter.

    `hidden` fields are unknown here, exactly as to the store."""
    errors: dict[str, list[str]] = {}
    filters: list[Filter] = []
    sources: list[str] = []
    for key in args:
        if key in LIST_PARAMS:
            if len(args.getlist(key)) > 1:
                errors[key] = ["Give this parameter once."]
            continue
        match = FILTER_KEY.fullmatch(key)
        if match is None:
            errors[key] = ["Unknown parameter."]
            continue
        name, op = match.group(1), match.group(2) or "eq"
        try:
            field = None if name in hidden else entity.fields.get(name)
            if field is None and name not in SYSTEM_FIELDS:
                raise ValueError(f"No field named {name!r} in {entity.name}.")
            made = _filters(field, name, op, args.getlist(key))
        except ValueError as exc:
            errors[key] = [str(exc)]
            continue
        filters += made
        sources += [key] * len(made)
    page_size = None
    if "page_size" in args:
        text = args["page_size"].strip()
        if text.isascii() and text.isdigit() and len(text) < 10:
            page_size = int(text)
        else:
            errors["page_size"] = ["Not a whole number."]
    if errors:
        raise bad_request(errors)
    sort = args.get("sort", "").strip()
    query = Query(
        filters=tuple(filters),
        search=" ".join(args.get("q", "").split()) or None,
        sort=tuple(s.strip() for s in sort.split(",")) if sort else None,
        page_size=page_size,
        after=args.get("after") or None,
    )
    return ListRequest(query, tuple(sources))


def _filters(field: Field | None, name: str, op: str, values: Sequence[str]) -> list[Filter]:
    if op not in FILTER_OPS:
        raise ValueError(f"Unknown operator {op!r}; use one of: {', '.join(FILTER_OPS)}.")
    if op == "empty":
        if len(values) != 1 or values[0].strip().lower() not in (*TRUE, *FALSE):
            raise ValueError("Give true or false.")
        return [Filter(name, "empty" if values[0].strip().lower() in TRUE else "not_empty")]
    compares_options = op in ("eq", "ne") or (field is not None and field.type == "multiselect")
    if field is not None and field.kind.has_options and compares_options:
        # The store compares options as text; an unknown one is a mistake, not "no match".
        unknown = [v for v in values if v not in field.option_values()]
        if unknown:
            raise ValueError(f"Not an option: {', '.join(unknown)}.")
    if op in SINGLE_OPS:
        if len(values) != 1:
            raise ValueError("Give one value.")
        return [Filter(name, op, values[0])]
    if field is not None and field.type == "multiselect":
        return [Filter(name, "contains", v) for v in values]
    if len(values) == 1:
        return [Filter(name, "eq", values[0])]
    return [Filter(name, "in", list(values))]

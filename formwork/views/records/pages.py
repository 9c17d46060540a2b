"""What the page modules share: a `Display` for the request, and the fields a user may see."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ...metamodel.model import Entity, Field
from ..context import actor, hidden_fields, locale, runtime, service
from ..display import Display, LinkTitles


def display_for(fields: Iterable[Field], rows: Iterable[Mapping[str, Any]]) -> Display:
    """A Display for this request with the titles of every record `rows` link to."""
    fields = list(fields)
    titles = LinkTitles(service(), actor()).load(fields, rows)
    return Display(locale(), runtime().settings.timezone, titles)


def visible(entity: Entity, names: Iterable[str]) -> list[Field]:
    """The fields among `names` the signed-in user may see, in order."""
    hidden = hidden_fields(entity)
    return [entity.fields[n] for n in names if n in entity.fields and n not in hidden]

"""Downloading a record's attached files: `/r/<entity>/<id>/files/<field>/<file id>`.

The record is read through the record service first, so only someone who may read it (and
see the field) gets its files. The file is looked up by its id among the record's stored
items, never by a name or path from the URL; `<field>` is an attachment field of the record
or `table.field` for one of its child rows. Files are always sent as downloads, under the
name they were uploaded with.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from flask import abort, send_file
from werkzeug.wrappers import Response

from ...metamodel.model import Entity
from ...store.records import Record
from ..context import actor, entity_or_404, hidden_fields, model, service
from . import records

OCTET_STREAM = "application/octet-stream"


@records.get("/<entity>/<int:id>/files/<field>/<file_id>")
def download(entity: str, id: int, field: str, file_id: str) -> Response:
    ent = entity_or_404(entity)
    record = service().get(ent.name, id, actor())
    item = next((i for i in attachments(ent, record, field) if i.get("id") == file_id), None)
    if item is None:
        abort(404)
    try:
        path = service().files.path(item)
    except ValueError:  # a stored path that leaves the files folder: never served
        abort(404)
    if not path.is_file():
        abort(404)
    return send_file(
        path,
        mimetype=str(item.get("content_type") or OCTET_STREAM),
        as_attachment=True,
        download_name=str(item.get("name") or path.name),
    )


def attachments(entity: Entity, record: Record, path: str) -> Iterator[Mapping[str, Any]]:
    """The stored items of the attachment field `path` ("files" or "milestones.report")."""
    name, _, sub = path.partition(".")
    field = entity.fields.get(name)
    if field is None or name in hidden_fields(entity):
        return
    if not sub:
        if field.type == "attachment":
            yield from _items(record.get(name))
        return
    if field.type != "table":
        return
    child = model().entity(field.setting("to"))
    inner = child.fields.get(sub)
    if inner is None or inner.type != "attachment" or sub in hidden_fields(child):
        return
    for row in record.get(name) or ():
        yield from _items(row.get(sub))


def _items(value: Any) -> Iterator[Mapping[str, Any]]:
    yield from (item for item in value or () if isinstance(item, Mapping))

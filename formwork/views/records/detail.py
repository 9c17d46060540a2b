"""The detail page of a record: its fields by the form's sections."""

from __future__ import annotations

from flask import render_template

from ..context import actor, entity_or_404, service
from . import records
from .pages import display_for, visible


@records.get("/<entity>/<int:id>")
def detail(entity: str, id: int) -> str:
    ent = entity_or_404(entity)
    record = service().get(entity, id, actor())
    sections = [(s.label, visible(ent, s.fields)) for s in ent.form.sections]
    show = display_for([f for _, fields in sections for f in fields], [record.values])
    return render_template(
        "records/detail.html", entity=ent, record=record, sections=sections, show=show
    )

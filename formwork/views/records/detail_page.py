"""Everything a record's detail page shows, gathered for its template.

The page's routes (`detail`, and the writes in `detail_writes` that show the page again with
a message) all render through `render_detail`, so a refused delete or a manual grade with
errors shows the same page as a plain visit, with the problem where it belongs.
"""

from __future__ import annotations

from flask import render_template, url_for

from ...metamodel.model import Entity
from ...store.records import Record
from .detail_access import may, title_of, user_names
from .detail_fields import record_fields
from .detail_grades import GradeForm, grade_panels, number
from .detail_history import HistoryPage
from .detail_related import related_lists


def render_detail(
    entity: Entity,
    record: Record,
    *,
    confirm_delete: bool = False,
    problems: list[str] | None = None,
    grade_form: GradeForm | None = None,
    history: HistoryPage | None = None,
) -> str:
    """The detail page of `record`.

    `confirm_delete` adds the delete confirmation (with `problems` when a delete was
    refused); `history` shows the audit history in the page rather than loading it later.
    """
    fields = record_fields(entity, record)
    page_url = url_for("records.detail", entity=entity.name, id=record.id)
    names = user_names([record.created_by, record.updated_by])
    return render_template(
        "records/detail.html",
        entity=entity,
        record=record,
        title=title_of(entity, record),
        fields=fields,
        show=fields.show,
        related=related_lists(entity, record.id),
        grades=grade_panels(entity, record.id, record.values, grade_form),
        may_update=may("update", entity, record.id),
        may_delete=may("delete", entity, record.id),
        page_url=page_url,
        edit_url=f"{page_url}/edit",
        created_by=names.get(record.created_by) if record.created_by else None,
        updated_by=names.get(record.updated_by) if record.updated_by else None,
        confirm_delete=confirm_delete,
        problems=problems or [],
        history=history,
        number=number,
    )

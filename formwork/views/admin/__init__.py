"""The admin's config pages (`/admin/config`): editors that change the site's draft overlay,
and the preview, publish and revisions pages that make a draft the running config.

Every editor reads the draft's candidate (the package merged with the draft, built and
checked by the same validator as `formwork validate`), turns a posted form into patches on
the draft, saves it, and shows the candidate's problems next to the inputs they concern.
Only users with the admin role reach these pages; everyone else gets 403.
"""

from __future__ import annotations

from flask import Blueprint, abort

from ...auth.session import current_user

bp = Blueprint("admin_config", __name__, url_prefix="/admin/config")


@bp.before_request
def require_admin() -> None:
    user = current_user()
    if user is None or not user.is_admin:
        abort(403)


# The pages register their routes on `bp` when imported.
from . import (  # noqa: E402
    entity_fields,
    field_editor,
    flow_editor,
    formulas,
    grading_editor,
    labels,
    layouts,
    overview,
    page_globals,
    permissions,
    publish,
)

__all__ = [
    "bp",
    "entity_fields",
    "field_editor",
    "flow_editor",
    "formulas",
    "grading_editor",
    "labels",
    "layouts",
    "overview",
    "page_globals",
    "permissions",
    "publish",
]

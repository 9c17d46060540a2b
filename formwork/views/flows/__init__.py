"""The approval pages: the inbox, "my requests", notifications, and the actions (docs/flows.md).

One blueprint over `runtime().flows`; each concern in its own module: `pages` (inbox and
requests), `notices` (notifications), `actions` (every action a POST with the CSRF token),
`panel` (the flow on a record's page, `records/_detail_flow.html`), `nav` (the top bar's
counts), `text` (the wording), `posted` (what an action form sent), `records` (titles and
people). Templates are under `templates/flows/`.
"""

from __future__ import annotations

from flask import Blueprint

from . import text
from .nav import nav_context
from .panel import flow_panel

flows = Blueprint("flows", __name__)
flows.app_context_processor(nav_context)
flows.add_app_template_global(flow_panel, "flow_panel")
flows.add_app_template_global(text, "flow_text")

# Imported for their routes (each module adds its own to `flows`).
from . import actions, notices, pages  # noqa: E402, F401

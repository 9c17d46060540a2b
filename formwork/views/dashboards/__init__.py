"""Dashboards (`dashboards/*.yaml`) as pages: `/d/` lists the ones the user's roles see,
`/d/<name>` shows one (docs/dashboards.md).

`pages` has the routes, `figures` works out each widget's numbers for the signed-in user and
where each links, `numbers` how they read, `charts` where each mark goes; the SVG itself is
written by the templates under `templates/dashboards/`. Templates call `dashboard_nav()` for
the menu's link.
"""

from __future__ import annotations

from flask import Blueprint

dashboards = Blueprint("dashboards", __name__, url_prefix="/d")

# Imported for its routes (it adds them to `dashboards`).
from . import pages  # noqa: E402, F401

"""The generated pages of every entity, under /r/<entity>/: list, board, detail and forms.

One blueprint; each page kind lives in its own module (`lists`, `board`, `detail`, `forms`)
and registers its routes on `records`. Every route goes through the record service with the
signed-in user, so permissions, row scopes and hidden fields apply exactly as for the API.
"""

from __future__ import annotations

from flask import Blueprint

records = Blueprint("records", __name__, url_prefix="/r")

# Imported for their routes (each module adds its own to `records`).
from . import board, detail, forms, lists, transfer  # noqa: E402, F401

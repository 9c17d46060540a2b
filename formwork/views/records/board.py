"""Routes of this page kind arrive with the UI issue's next commits."""

from __future__ import annotations

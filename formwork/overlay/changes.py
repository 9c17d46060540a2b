"""An overlay as readable changes: path, the package's value → the site's value, conflicts.

What `formwork config diff` prints and what a review page lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..metamodel.fieldtypes import FieldTypeRegistry
from .candidate import build_candidate
from .merge import describe
from .patches import Overlay, Patch
from .paths import MISSING, value_at


@dataclass(frozen=True)
class Change:
    patch: Patch
    #: The package's value there now (MISSING: none).
    package: Any
    #: The value the site runs with (MISSING: removed).
    site: Any
    #: Why the patch is not applied, or None.
    conflict: str | None = None

    def line(self) -> str:
        """`path: package value → site value`, marked when it conflicts."""
        mark = "!" if self.conflict else ("-" if self.patch.op == "remove" else "~")
        text = f"{mark} {self.patch.path}: {describe(self.package)} → {describe(self.site)}"
        if self.conflict:
            text += f"\n    CONFLICT (not applied): {self.conflict}"
        return text


def changes(
    package_root: Path, overlay: Overlay, types: FieldTypeRegistry | None = None
) -> list[Change]:
    """Each patch of `overlay` with the package's value and the value the site gets."""
    candidate = build_candidate(package_root, overlay, types)
    document = build_candidate(package_root, Overlay(), types).document
    conflicts = {c.patch.path: c.reason for c in candidate.conflicts}
    return [
        Change(
            patch,
            value_at(document, patch.path),
            MISSING if patch.op == "remove" else patch.value,
            conflicts.get(patch.path),
        )
        for patch in overlay.patches
    ]

"""The site overlay: admins' changes to the config package, stored in the database.

The running config is the package (files, in git) plus the overlay (patches, in the
database), merged before the model is built, so the one validator checks both. See
docs/overlay.md. The modules: `paths` (addressing nodes), `patches` (Patch, Overlay, YAML),
`merge` (applying an overlay, conflicts), `candidate` (merging and building), `revisions`
and `tables` (storage), `publish` (the atomic activation), `site` (SiteConfig, one per
runtime), `live` (the web app's swap to a newer revision), `exporting` (merged files),
`changes` (an overlay as readable lines).
"""

from .candidate import Candidate, build_candidate
from .changes import Change, changes
from .merge import Conflict
from .patches import Overlay, OverlayError, Patch
from .paths import MISSING, PathError, item_step, join_path, value_at
from .publish import revision_cause, revision_of_cause
from .revisions import Revision
from .site import ConfigInvalid, SiteConfig, SiteStatus

__all__ = [
    "MISSING",
    "Candidate",
    "Change",
    "ConfigInvalid",
    "Conflict",
    "Overlay",
    "OverlayError",
    "Patch",
    "PathError",
    "Revision",
    "SiteConfig",
    "SiteStatus",
    "build_candidate",
    "changes",
    "item_step",
    "join_path",
    "revision_cause",
    "revision_of_cause",
    "value_at",
]

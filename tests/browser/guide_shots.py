"""Screenshots for the user guide (docs/guide.md), taken by the role stories as they run.

Set `GUIDE_SHOTS` to a folder (`./dev guide` sets it to docs/guide) and each
`guide_shot(page, name)` saves the page there as `name.png`; without it nothing is written,
so the stories cost no more in CI than any other browser test.
"""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page

#: The window the guide's screenshots are taken at: wide enough for a list, small enough to read.
GUIDE_VIEWPORT = {"width": 1280, "height": 800}


def guide_folder() -> Path | None:
    folder = os.environ.get("GUIDE_SHOTS")
    return Path(folder) if folder else None


def guide_shot(page: Page, name: str) -> None:
    """Save the page as `<name>.png` in the guide's folder, when one is set."""
    folder = guide_folder()
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(GUIDE_VIEWPORT)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=False, animations="disabled")

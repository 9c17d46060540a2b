"""Text cells made safe for spreadsheets, and the way back.

A spreadsheet treats a cell that starts with `=`, `+`, `-`, `@` (or a tab or carriage
return, which some trim first) as a formula; exported text that starts so is prefixed with
an apostrophe (the OWASP advice), which Excel and LibreOffice show as plain text. Numbers are
written as numbers and never touched. On import, an apostrophe in front of such a character is
removed again, so an exported file can be imported back unchanged.
"""

from __future__ import annotations

from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """`value` as it may go into a cell: risky text gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(TRIGGERS):
        return "'" + value
    return value


def restore(text: str) -> str:
    """Imported text without the apostrophe `neutralise` put in front of it."""
    if text.startswith("'") and text[1:].startswith(TRIGGERS):
        return text[1:]
    return text

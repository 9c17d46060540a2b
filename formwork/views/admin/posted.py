"""Reading an editor's posted form: each input is named by the overlay path it edits.

An input that was not posted keeps the current value, so a form may show part of a node.
A blank input means "no value" (the key is left out). A number that does not read as one is
kept as the text typed: the draft keeps it and the validator says what is wrong, next to
the input, so nothing the admin typed is lost.
"""

from __future__ import annotations

import math
import re
from typing import Any

from werkzeug.datastructures import MultiDict

from ...overlay.paths import MISSING

#: Where a checkbox's hidden companion says "this checkbox was on the form".
SHOWN = "__shown"
NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


class Posted:
    """The posted values of one editor form."""

    def __init__(self, form: MultiDict[str, str]) -> None:
        self.form = form

    def has(self, name: str) -> bool:
        return name in self.form

    def raw(self, name: str, default: str = "") -> str:
        return self.form.get(name, default)

    def text(self, name: str, current: Any = MISSING) -> Any:
        if name not in self.form:
            return current
        value = self.form.get(name, "").strip()
        return value if value else MISSING

    def formula(self, name: str, current: Any = MISSING) -> Any:
        """Formula text; line breaks are kept out (formulas are one expression)."""
        value = self.text(name, current)
        return " ".join(value.split()) if isinstance(value, str) else value

    def number(self, name: str, current: Any = MISSING) -> Any:
        value = self.text(name, current)
        if not isinstance(value, str) or name not in self.form:
            return value
        cleaned = value.replace(",", "").replace("_", "")
        if not NUMBER.match(cleaned):
            return value  # the validator reports it next to the input
        number = float(cleaned)
        if not math.isfinite(number):
            return value
        return int(number) if number.is_integer() and abs(number) < 2**53 else number

    def flag(self, name: str, current: Any = MISSING, default: bool = False) -> Any:
        """A checkbox; its hidden companion (`<name>__shown`) tells "unchecked" from "absent".
        The default value is written only where the document already says something."""
        if name + SHOWN not in self.form:
            return current
        value = name in self.form
        return MISSING if value == default and current is MISSING else value

    def choice(self, name: str, current: Any, allowed: list[str] | tuple[str, ...]) -> Any:
        """One of `allowed` (or blank); anything else keeps the current value."""
        value = self.text(name, current)
        return value if value is MISSING or value in allowed or value == current else current

    def names(self, name: str, current: Any = MISSING) -> Any:
        """Several values of checkboxes or a multiple select (with a hidden companion)."""
        if name + SHOWN not in self.form:
            return current
        return [v for v in self.form.getlist(name) if v]

    def label(self, name: str, current: Any, locales: list[str]) -> Any:
        """A label, one input per locale (`<name>/<locale>`); a plain-text label in the
        default locale stays plain text while only that locale has text."""
        if not any(f"{name}/{code}" in self.form for code in locales):
            return current
        texts = dict(current) if isinstance(current, dict) else {}
        if isinstance(current, str):
            texts[locales[0]] = current
        for code in locales:
            if f"{name}/{code}" in self.form:
                text = self.form.get(f"{name}/{code}", "").strip()
                if text:
                    texts[code] = text
                else:
                    texts.pop(code, None)
        if not texts:
            return MISSING
        if isinstance(current, str) and list(texts) == [locales[0]]:
            return texts[locales[0]]
        return texts


def put(node: dict[str, Any], key: str, value: Any) -> None:
    """Set `node[key]`, or remove the key when `value` is MISSING."""
    if value is MISSING:
        node.pop(key, None)
    else:
        node[key] = value

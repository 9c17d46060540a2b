"""What a person posted with an approval action, and what the pages say back about it.

An action form carries a comment, for delegations the user chosen (`to`), and where it was
sent from (`from`: the inbox or the record's page), which decides where the answer goes.
When the engine refuses, the same object carries its errors (by input) and any message for
the whole form, so the form comes back as it was posted with the problem next to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..messages import translate_error

#: Where an action form can be sent from.
ORIGINS = ("inbox", "record")
#: Actions that name another user (the "hand over" form of a record's page).
HANDOVERS = ("delegate", "transfer", "add_approver")


@dataclass
class Posted:
    action: str = ""
    origin: str = "record"
    comment: str = ""
    to: str = ""
    #: Refusals by input: `comment`, `to`, or `_record` for the whole form.
    errors: dict[str, list[str]] = field(default_factory=dict)
    #: A message for the whole form: someone acted first, not allowed, gone.
    alert: str | None = None

    @classmethod
    def read(cls, action: str, form: Mapping[str, str]) -> Posted:
        origin = form.get("from", "")
        return cls(
            action=action,
            origin=origin if origin in ORIGINS else "record",
            comment=form.get("comment", "").strip(),
            to=form.get("to", "").strip(),
        )

    def refused(self, errors: Mapping[str, list[str]]) -> None:
        """Keep the engine's refusals, in the user's language."""
        self.errors = {
            key: [translate_error(None, str(text)) for text in texts]
            for key, texts in errors.items()
        }

    def error(self, key: str, form: str = "decide") -> list[str]:
        """The errors of input `key` if they belong to `form` (decide or handover)."""
        if self.is_handover != (form == "handover"):
            return []
        return self.errors.get(key, [])

    @property
    def is_handover(self) -> bool:
        return self.action in HANDOVERS

    @property
    def problems(self) -> list[str]:
        """Messages for the form as a whole: the alert and refusals of no one input."""
        shown = {"comment", "to"}
        rest = [text for key, texts in self.errors.items() if key not in shown for text in texts]
        return ([self.alert] if self.alert else []) + rest

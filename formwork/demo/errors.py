"""Why `formwork demo` stops: a plan it cannot make, a database it must not touch, a refused record.

Nothing of a refused batch is written; `RecordRefused.kept` says what earlier batches wrote.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class DemoError(Exception):
    """The demo data cannot be planned (a required field nothing can draw, no users …)."""


class DatabaseNotEmpty(DemoError):
    """The database already holds records and `append` was not asked for."""

    def __init__(self, counts: Mapping[str, int]) -> None:
        self.counts = dict(counts)
        listed = ", ".join(f"{n} {entity}" for entity, n in self.counts.items())
        super().__init__(f"the database already holds records ({listed}); nothing was written")


class RecordRefused(DemoError):
    """The record service refused a generated record; its batch was rolled back."""

    def __init__(
        self,
        entity: str,
        index: int,
        errors: Mapping[str, Sequence[str]],
        kept: Mapping[str, int],
        values: Mapping[str, object] | None = None,
    ) -> None:
        self.entity, self.index = entity, index
        self.errors = {k: list(v) for k, v in errors.items()}
        self.kept = {k: n for k, n in kept.items() if n}
        self.values = dict(values or {})
        problems = "; ".join(f"{field}: {' '.join(texts)}" for field, texts in self.errors.items())
        super().__init__(f"{entity} record #{index + 1} was refused — {problems}")

"""How a widget's numbers read: in full and compactly, in the viewer's language.

A count reads as a number of records; a sum or average reads like the measured field's own
values (money with its currency). Charts label their marks compactly (1.2万, 56.8K) and give
the full figure in each mark's description, which is its tooltip and what screen readers say.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel import Locale
from babel.dates import format_skeleton
from babel.numbers import format_compact_decimal, format_decimal
from flask_babel import get_locale, ngettext

from ...metamodel.dashboard_model import Measure
from ...metamodel.fieldtypes.common import CURRENCY_SYMBOLS
from ...metamodel.model import Entity
from ...store.aggregates import Bucket

#: How a period is named by its first day (babel date skeletons): in full, and on an axis.
PERIOD_SKELETONS = {
    "day": "yMMMd",
    "week": "yMMMd",
    "month": "yMMM",
    "quarter": "yQQQ",
    "year": "y",
}
AXIS_SKELETONS = {"day": "Md", "week": "Md", "month": "yM", "quarter": "yQ", "year": "y"}


@dataclass(frozen=True)
class Mark:
    """One figure of a widget: a number card's value, a bar, a slice, a point."""

    label: str
    value: float
    count: int
    #: The value as people read it in full, and compactly (1.2万, 56.8K).
    text: str
    short: str
    #: The list of the records behind the mark; None where no list can show them.
    href: str | None
    #: What the mark says in words, for its tooltip and for screen readers.
    description: str
    #: An option's colour (a name such as "green", or #rrggbb); None picks from the palette.
    color: str | None = None
    #: A shorter label for a crowded axis (2026/5 for May 2026).
    axis_label: str = ""


class Numbers:
    """Formats one widget's measure for the current request's locale."""

    def __init__(self, entity: Entity, measure: Measure) -> None:
        self.field = entity.fields[measure.field] if measure.field else None
        self.function = measure.function
        self.locale: Locale = get_locale() or Locale("en")

    def mark(
        self,
        label: str,
        bucket: Bucket,
        href: str | None,
        color: str | None = None,
        axis_label: str = "",
    ) -> Mark:
        value = self._value(bucket.value)
        full, short = self.full(value), self.short(value)
        records = ngettext("%(num)s record", "%(num)s records", bucket.count)
        description = (
            f"{label}: {records}" if self.function == "count" else f"{label}: {full} ({records})"
        )
        return Mark(
            label, float(value), bucket.count, full, short, href, description, color, axis_label
        )

    def full(self, value: Any) -> str:
        if self.field is None:
            return format_decimal(value, locale=self.locale)
        return self.field.kind.format(value, self.field, str(self.locale))

    def short(self, value: Any) -> str:
        if self.field is None or self.field.type not in ("money", "integer", "decimal"):
            return self.full(value)
        compact = format_compact_decimal(value, locale=self.locale, fraction_digits=1)
        if self.field.type == "money":  # with the symbol the field's own format uses
            code = self.field.setting("currency", "CNY")
            return CURRENCY_SYMBOLS.get(code, code + " ") + compact
        return compact

    def _value(self, raw: Any) -> Decimal | int:
        if raw is None:
            return 0
        if isinstance(raw, float):  # an average: as precise as people care to read
            return Decimal(str(round(raw, 2)))
        return raw


def period_label(start: dt.date, period: str, axis: bool = False) -> str:
    """A period named by its first day, as the viewer's language writes it (2024年5月), or
    shorter for an axis (2024/5)."""
    skeleton = (AXIS_SKELETONS if axis else PERIOD_SKELETONS)[period]
    return format_skeleton(skeleton, start, locale=get_locale() or "en")

"""A cell of a spreadsheet as the value its field takes: what people type, not what APIs send.

Options are matched by value or by label in any locale; yes/no by 是/否, yes/no, true/false,
1/0 and the like; numbers may carry thousands separators, a currency sign, 万 or 亿, or
accounting parentheses; dates come year first (2024-03-05, 2024/3/5, 2024年3月5日, 20240305)
or as the date cells of a workbook; times without a zone are in the app's time zone; links
are resolved by `links.LinkResolver`. Only the form of a value is judged here: ranges,
lengths, required and unique are the record service's to check.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from ..metamodel.fieldtypes.common import YES_NO
from ..metamodel.model import Field
from .cells import restore
from .links import LinkProblem, LinkResolver
from .mapping import normalise

YES = {"1", "true", "yes", "y", "t", "是", "对", "有", "√", "✓", "✔"}
NO = {"0", "false", "no", "n", "f", "否", "错", "无", "×", "✗", "✘"}
for _yes, _no in YES_NO.values():
    YES.add(_yes.casefold())
    NO.add(_no.casefold())

MULTIPLIERS = {"万": Decimal(10_000), "亿": Decimal(100_000_000)}
CURRENCY = re.compile(r"^(?:[¥$€£]|CNY|RMB|USD|EUR|HK\$)\s*|\s*(?:元|CNY|RMB|USD|EUR)$", re.I)
SEPARATORS = re.compile(r"(?<=\d)[,_'\s](?=\d{3}(?!\d))")
LIST_SEPARATORS = re.compile(r"[,;、|\n]")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")
TIME_FORMATS = ("%H:%M:%S", "%H:%M")
NUMBER_TYPES = {"integer", "decimal", "money", "percent", "rating"}
#: A number as Decimal reads it already: the common case, which skips the clean-up below.
PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


class CellProblem(ValueError):
    """The cell's text is not a value of its field; the message says what was expected."""


#: Types whose value depends on the cell's text alone and cannot be changed by whoever gets
#: it (a number, a date, an option's value): each text's value is worked out once an import.
REMEMBERED_TYPES = NUMBER_TYPES | {"boolean", "date", "datetime", "select"}
#: Types `_value` does more with than take the text as it is.
SPECIAL_TYPES = REMEMBERED_TYPES | {"multiselect", "link"}
#: Most texts remembered per field (the values of a unique column never repeat).
MEMO_SIZE = 1024


class Converter:
    """Converts the cells of one import (links through `links`, times in `zone`)."""

    def __init__(self, links: LinkResolver, zone: str = "UTC") -> None:
        self.links = links
        self.zone = ZoneInfo(zone)
        #: The values of texts converted so far, by field (see REMEMBERED_TYPES).
        self._memo: dict[tuple[str, str], dict[str, Any]] = {}
        #: `for_field` of each field asked for, by (entity, field name).
        self._converters: dict[tuple[str, str], Callable[[Any], Any]] = {}

    def value(self, field: Field, cell: Any) -> Any:
        """The value for `field`, None for a blank cell; CellProblem if it cannot be one."""
        return self.for_field(field)(cell)

    def for_field(self, field: Field) -> Callable[[Any], Any]:
        """`value` for the cells of one field (an import converts a column's cells with it)."""
        convert = self._converters.get((field.entity, field.name))
        if convert is None:
            convert = self._converters[(field.entity, field.name)] = self._converter(field)
        return convert

    def _converter(self, field: Field) -> Callable[[Any], Any]:
        kind = field.type
        if kind in REMEMBERED_TYPES:
            return self._remembered(field)
        if kind in SPECIAL_TYPES:
            return functools.partial(self._value, field)

        def text(cell: Any) -> Any:
            if type(cell) is str:  # what `_value` does with a text cell, in short
                cell = cell.strip()
                return restore(cell) if cell else None
            return self._value(field, cell)

        return text

    def _remembered(self, field: Field) -> Callable[[Any], Any]:
        memo = self._memo.setdefault((field.entity, field.name), {})
        convert = self._value

        def remembered(cell: Any) -> Any:
            if type(cell) is not str:
                return convert(field, cell)
            value = memo.get(cell, memo)  # the memo itself stands for "not converted yet"
            if value is memo:
                value = convert(field, cell)
                if len(memo) < MEMO_SIZE:
                    memo[cell] = value
            return value

        return remembered

    def _value(self, field: Field, cell: Any) -> Any:
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            return None
        kind = field.type
        if kind in NUMBER_TYPES:
            number = parse_number(cell)
            if kind in ("integer", "rating"):
                if number != number.to_integral_value():
                    raise CellProblem(_("Not a whole number."))
                return int(number)
            return number
        if kind == "boolean":
            return parse_bool(cell)
        if kind == "date":
            return parse_date(cell)
        if kind == "datetime":
            return parse_datetime(cell, self.zone)
        if kind == "select":
            return option(field, text_of(cell))
        if kind == "multiselect":
            parts = (p.strip() for p in LIST_SEPARATORS.split(normal(text_of(cell))))
            return [option(field, p) for p in parts if p]
        if kind == "link":
            try:
                return self.links.resolve(field, text_of(cell).strip())
            except LinkProblem as problem:
                raise CellProblem(str(problem)) from None
        return restore(text_of(cell).strip())


def text_of(cell: Any) -> str:
    """A cell as text: whole numbers without ".0" (a phone number typed into Excel)."""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, dt.datetime | dt.date):
        return cell.isoformat(sep=" ") if isinstance(cell, dt.datetime) else cell.isoformat()
    return str(cell)


def normal(text: str) -> str:
    """Full-width digits, letters and punctuation as their plain forms (NFKC), trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


def parse_number(cell: Any) -> Decimal:
    if isinstance(cell, bool):
        raise CellProblem(_("Not a number."))
    if isinstance(cell, int):
        return Decimal(cell)
    if isinstance(cell, float):
        return Decimal(repr(cell))
    if isinstance(cell, Decimal):
        return cell
    if isinstance(cell, str) and PLAIN_NUMBER.fullmatch(cell):
        return Decimal(cell)
    text = normal(str(cell))
    negative = text.startswith("(") and text.endswith(")")  # accounting: (1,200.00)
    text = CURRENCY.sub("", text.strip("()").strip()).strip()
    factor = Decimal(1)
    if text[-1:] in MULTIPLIERS:
        factor = MULTIPLIERS[text[-1]]
        text = text[:-1].strip()
    text = SEPARATORS.sub("", text.removesuffix("%").strip())
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CellProblem(_("Not a number.")) from None
    if not number.is_finite():
        raise CellProblem(_("Not a number."))
    number *= factor
    return -number if negative else number


def parse_bool(cell: Any) -> bool:
    if isinstance(cell, bool):
        return cell
    if isinstance(cell, int | float) and cell in (0, 1):
        return bool(cell)
    word = normal(str(cell)).casefold()
    if word in YES:
        return True
    if word in NO:
        return False
    raise CellProblem(_("Not yes or no (是/否, yes/no, 1/0)."))


def parse_date(cell: Any) -> dt.date:
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    text = normal(str(cell))
    if re.fullmatch(r"\d{8}", text):
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    for pattern in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise CellProblem(_("Not a date; write it year first, like 2024-03-05."))


def parse_datetime(cell: Any, zone: ZoneInfo) -> dt.datetime:
    if isinstance(cell, dt.datetime):
        moment = cell
    elif isinstance(cell, dt.date):
        moment = dt.datetime.combine(cell, dt.time())
    else:
        moment = _moment(normal(str(cell)))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(dt.UTC)


def _moment(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        pass
    for day in DATE_FORMATS:
        for time in ("", *(" " + t for t in TIME_FORMATS)):
            try:
                return dt.datetime.strptime(text, day + time)
            except ValueError:
                continue
    raise CellProblem(_("Not a date and time; write it like 2024-03-05 14:30."))


def option(field: Field, text: str) -> str:
    """The option whose value or label (in any locale) the text is."""
    text = normal(text)
    values = field.option_values()
    if text in values:
        return text
    wanted = normalise(text)
    for choice in field.options:
        if wanted == normalise(choice.value) or any(
            wanted == normalise(label) for label in choice.label.texts.values()
        ):
            return choice.value
    raise CellProblem(
        _("Not an option: %(value)s (one of: %(options)s).", value=text, options=", ".join(values))
    )

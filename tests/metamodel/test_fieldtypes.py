"""Each field type converts good input, refuses bad input with a message, and formats values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import marshmallow as ma
import pytest

from formwork.metamodel import App
from formwork.metamodel.fieldtypes import Upload, default_registry
from formwork.metamodel.numbering import parse_pattern

GOOD = [
    ("customer", "name", "  Acme 建设  ", "Acme 建设"),
    ("customer", "name", "", None),
    ("customer", "customer_type", "开发商", "开发商"),
    ("customer", "customer_type", " ", None),
    ("customer", "annual_amount", "1,200,000.5", Decimal("1200000.50")),
    ("customer", "annual_amount", 12.5, Decimal("12.50")),
    ("customer", "cooperation_years", "12", 12),
    ("customer", "cooperation_years", 12.0, 12),
    ("customer", "complexity", 5, 5),
    ("customer", "major_dispute", "true", True),
    ("customer", "major_dispute", "off", False),
    ("customer", "first_signed_on", "2024-02-29", dt.date(2024, 2, 29)),
    (
        "customer",
        "tags",
        ["战略合作伙伴", "高潜力客户", "战略合作伙伴"],
        ["战略合作伙伴", "高潜力客户"],
    ),
    ("customer", "tags", "高潜力客户", ["高潜力客户"]),
    ("customer", "website", "https://example.com/a?b=1", "https://example.com/a?b=1"),
    ("customer", "phone", "+86 (010) 8888-6666 转 123", "+86 (010) 8888-6666 转 123"),
    ("customer", "account_manager", "7", 7),
    ("contact", "email", " li.lei@example.com ", "li.lei@example.com"),
]


@pytest.mark.parametrize(
    ("entity", "field", "raw", "expected"), GOOD, ids=[f"{g[1]}={g[2]!r}" for g in GOOD]
)
def test_good_input_converts(
    crm_app: App, entity: str, field: str, raw: Any, expected: Any
) -> None:
    spec = crm_app.entity(entity).fields[field]
    assert spec.kind.input_field(spec).deserialize(raw) == expected


BAD = [
    ("customer", "name", "x" * 201, "Longer than maximum length 200"),
    ("customer", "customer_type", "银行", "Must be one of"),
    ("customer", "annual_amount", "12.345", "At most 2 digits"),
    ("customer", "annual_amount", "-5", "greater than or equal to 0"),
    ("customer", "annual_amount", "lots", "Not a number"),
    ("customer", "annual_amount", "1e400", "Too large"),
    ("customer", "annual_amount", "NaN", "Not a number"),
    ("customer", "annual_amount", True, "Not a number"),
    ("customer", "cooperation_years", "12.5", "Not a whole number"),
    ("customer", "cooperation_years", 101, "less than or equal to 100"),
    ("customer", "cooperation_years", True, "Not a whole number"),
    ("customer", "complexity", 6, "less than or equal to 5"),
    ("customer", "first_signed_on", "2023-02-29", "Not a valid date"),
    ("customer", "tags", ["VIP"], "One or more of the choices"),
    ("customer", "website", "javascript:alert(1)", "Not a valid URL"),
    ("customer", "website", "ftp://example.com", "Not a valid URL"),
    ("customer", "phone", "call me", "Not a telephone number"),
    ("customer", "account_manager", "0", "greater than or equal to 1"),
    ("contact", "email", "not-an-address", "Not a valid email"),
]


@pytest.mark.parametrize(
    ("entity", "field", "raw", "message"), BAD, ids=[f"{b[1]}={b[2]!r}"[:40] for b in BAD]
)
def test_bad_input_is_refused_with_a_message(
    crm_app: App, entity: str, field: str, raw: Any, message: str
) -> None:
    spec = crm_app.entity(entity).fields[field]
    with pytest.raises(ma.ValidationError) as caught:
        spec.kind.input_field(spec).deserialize(raw)
    assert message in str(caught.value.messages)


def test_attachments_check_count_size_and_type(crm_app: App) -> None:
    spec = crm_app.entity("customer").fields["qualification_files"]
    files = spec.kind.input_field(spec)
    pdf = Upload("资质.pdf", "application/pdf", b"%PDF-1.7")
    assert files.deserialize([pdf]) == [pdf]
    with pytest.raises(ma.ValidationError, match="not an allowed type"):
        files.deserialize([Upload("run.exe", "application/octet-stream", b"MZ")])
    with pytest.raises(ma.ValidationError, match="larger than 20 MB"):
        files.deserialize([Upload("big.pdf", "application/pdf", b"0" * (20 * 2**20 + 1))])
    with pytest.raises(ma.ValidationError, match="At most 5"):
        files.deserialize([pdf] * 6)


@pytest.mark.parametrize(
    ("field", "value", "locale", "shown"),
    [
        ("annual_amount", Decimal("1234567.5"), "zh", "¥1,234,567.50"),
        ("major_dispute", True, "zh", "是"),
        ("major_dispute", False, "en", "No"),
        ("customer_type", "设计院", "en", "Design institute"),
        ("tags", ["高潜力客户", "战略合作伙伴"], "zh", "高潜力客户、战略合作伙伴"),
        ("tags", ["高潜力客户", "战略合作伙伴"], "en", "High potential, Strategic partner"),
        ("complexity", 3, "zh", "★★★☆☆"),
        ("cooperation_years", 12000, "en", "12,000"),
        ("first_signed_on", dt.date(2024, 5, 1), "zh", "2024-05-01"),
        ("name", None, "zh", ""),
    ],
)
def test_values_are_formatted_for_people(
    crm_app: App, field: str, value: Any, locale: str, shown: str
) -> None:
    spec = crm_app.entity("customer").fields[field]
    assert spec.kind.format(value, spec, locale) == shown


def test_every_type_declares_what_the_engine_needs() -> None:
    for kind in default_registry():
        assert kind.name and kind.description and kind.widget
        assert kind.value_type in (
            None,
            "number",
            "text",
            "bool",
            "date",
            "datetime",
            "list",
            "link",
        )


@pytest.mark.parametrize(
    ("pattern", "day", "counter", "number", "period"),
    [
        ("KH-{YYYY}-{#####}", dt.date(2026, 3, 1), 42, "KH-2026-00042", "2026"),
        ("HT{YY}{MM}-{###}", dt.date(2026, 3, 1), 7, "HT2603-007", "26-03"),
        ("T-{####}", dt.date(2026, 3, 1), 12345, "T-12345", ""),
    ],
)
def test_numbering_patterns(
    pattern: str, day: dt.date, counter: int, number: str, period: str
) -> None:
    parsed = parse_pattern(pattern)
    assert parsed.render(day, counter) == number
    assert parsed.period(day) == period


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("KH-{YYYY}", "exactly one counter"),
        ("{##}-{##}", "exactly one counter"),
        ("KH-{YYYYY}-{#}", "unknown part"),
        ("KH-{#", "unbalanced"),
        ("", "empty"),
    ],
)
def test_bad_numbering_patterns(pattern: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_pattern(pattern)


RICH_TEXT = [
    ("<p>Hello <strong>world</strong></p>", "<p>Hello <strong>world</strong></p>"),
    ("<p onclick='x()'>a</p><script>alert(1)</script>", "<p>a</p>"),
    ('<a href="javascript:alert(1)">x</a>', '<a rel="noopener noreferrer nofollow">x</a>'),
    (
        '<a href="https://example.com">x</a>',
        '<a href="https://example.com" rel="noopener noreferrer nofollow">x</a>',
    ),
    ('<img src="x" onerror="alert(1)"><style>p{}</style>', None),
    ("   ", None),
]


@pytest.mark.parametrize(("raw", "kept"), RICH_TEXT)
def test_rich_text_keeps_only_safe_markup(raw: str, kept: str | None) -> None:
    from formwork.metamodel.fieldtypes.text_types import RichText

    kind = RichText()
    spec = _field_of(kind)
    assert kind.input_field(spec).deserialize(raw) == kept


def test_rich_text_lists_as_plain_text() -> None:
    from formwork.metamodel.fieldtypes.text_types import RichText

    kind = RichText()
    spec = _field_of(kind)
    assert kind.format("<p>Hello</p><ul><li>one</li></ul>", spec, "en") == "Helloone"


def _field_of(kind: Any) -> Any:
    from formwork.metamodel.model import Field, Label
    from formwork.metamodel.problems import Location

    return Field("notes", "thing", kind, Label({"en": "Notes"}), Location("x.yaml", 1))

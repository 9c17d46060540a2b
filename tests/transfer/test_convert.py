"""Cells as people type them, converted to field values; and what is refused."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formwork.transfer.cells import neutralise, restore
from formwork.transfer.convert import CellProblem, Converter
from formwork.transfer.links import LinkResolver


@pytest.fixture
def convert(runtime):
    return Converter(LinkResolver(runtime.records, None), zone="Asia/Shanghai")


def field(runtime, name, entity="customer"):
    return runtime.model.entity(entity).fields[name]


@pytest.mark.parametrize(
    ("name", "cell", "value"),
    [
        ("annual_amount", "1,234.50", Decimal("1234.50")),
        ("annual_amount", "¥3,000", Decimal(3000)),
        ("annual_amount", "１２万", Decimal(120000)),
        ("annual_amount", "1.5亿", Decimal(150_000_000)),
        ("annual_amount", "(1,200.00)", Decimal("-1200.00")),
        ("annual_amount", 1200.5, Decimal("1200.5")),
        ("complexity", "3", 3),
        ("complexity", 4.0, 4),
        ("major_dispute", "是", True),
        ("major_dispute", "否", False),
        ("major_dispute", "Yes", True),
        ("major_dispute", "FALSE", False),
        ("major_dispute", 1, True),
        ("first_signed_on", "2024-03-05", dt.date(2024, 3, 5)),
        ("first_signed_on", "2024/3/5", dt.date(2024, 3, 5)),
        ("first_signed_on", "2024年3月5日", dt.date(2024, 3, 5)),
        ("first_signed_on", "20240305", dt.date(2024, 3, 5)),
        ("first_signed_on", dt.datetime(2024, 3, 5), dt.date(2024, 3, 5)),
        ("customer_type", "开发商", "开发商"),
        ("customer_type", "developer", "开发商"),
        ("customer_type", " General contractor ", "总承包商"),
        ("tags", "高潜力客户、Strategic partner", ["高潜力客户", "战略合作伙伴"]),
        ("phone", 13800138000.0, "13800138000"),
        ("name", "'=SUM(A1)", "=SUM(A1)"),
        ("name", "  ", None),
    ],
)
def test_cells_convert_to_field_values(runtime, convert, name, cell, value) -> None:
    assert convert.value(field(runtime, name), cell) == value


def test_times_without_a_zone_are_local(runtime, convert) -> None:
    f = field(runtime, "first_signed_on")
    moment = convert.value(
        f.__class__(**{**_attrs(f), "kind": runtime.model.types["datetime"]}), "2024-03-05 08:30"
    )
    assert moment == dt.datetime(2024, 3, 5, 0, 30, tzinfo=dt.UTC)


def _attrs(f):
    return {s: getattr(f, s) for s in f.__slots__}


@pytest.mark.parametrize(
    ("name", "cell", "problem"),
    [
        ("annual_amount", "abc", "Not a number"),
        ("annual_amount", "1,2345", "Not a number"),
        ("complexity", "2.5", "Not a whole number"),
        ("major_dispute", "maybe", "Not yes or no"),
        ("first_signed_on", "3/5/2024", "year first"),
        ("first_signed_on", "2024-02-30", "year first"),
        ("customer_type", "火星", "Not an option"),
        ("tags", "高潜力客户,外星人", "Not an option"),
    ],
)
def test_bad_cells_are_refused_with_what_was_expected(runtime, convert, name, cell, problem):
    with pytest.raises(CellProblem, match=problem):
        convert.value(field(runtime, name), cell)


def test_links_are_found_by_title_auto_number_or_number(runtime, convert, crm, users) -> None:
    first = crm.customer("上海建工")
    second = crm.customer("北京城建")
    link = field(runtime, "customer", "contact")
    assert convert.value(link, "上海建工") == first.id
    assert convert.value(link, second["code"]) == second.id
    assert convert.value(link, f"#{second.id}") == second.id
    assert convert.value(link, str(first.id)) == first.id
    with pytest.raises(CellProblem, match="No record named"):
        convert.value(link, "不存在")
    alice = users.create("alice", "Alice Wang", "correct horse battery", [])
    manager = field(runtime, "account_manager")
    assert convert.value(manager, "ALICE") == alice.id
    assert convert.value(manager, "Alice Wang") == alice.id


def test_a_title_shared_by_two_records_must_be_given_by_number(runtime, crm, users) -> None:
    users.create("wang", "王伟", "correct horse battery", [])
    users.create("wang2", "王伟", "correct horse battery", [])
    convert = Converter(LinkResolver(runtime.records, None))
    with pytest.raises(CellProblem, match="2 records are named"):
        convert.value(field(runtime, "account_manager"), "王伟")


@pytest.mark.parametrize("text", ["=1+1", "+86 10", "-2", "@cmd", "\tx", "\rx"])
def test_risky_text_is_neutralised_and_restored(text) -> None:
    assert neutralise(text) == "'" + text
    assert restore(neutralise(text)) == text


@pytest.mark.parametrize("value", [-2, Decimal("-3.5"), "plain", "'quoted", None])
def test_numbers_and_plain_text_are_left_alone(value) -> None:
    assert neutralise(value) == value


TEXT_CELLS = st.one_of(
    st.none(),
    st.text(max_size=6),
    st.sampled_from(["", "  ", " a ", "'=1", " '+x", "'-", "=SUM(A1)", "\t\n", "甲 "]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(),
    st.dates(),
    st.datetimes(),
)


@pytest.mark.parametrize("name", ["name", "phone", "address", "notes", "website"])
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cell=TEXT_CELLS)
def test_a_text_column_converts_as_any_cell_does(runtime, convert, name, cell) -> None:
    """The conversion an import gives a text column (`for_field`) is `_value`'s."""
    spec = field(runtime, name)
    assert convert.for_field(spec)(cell) == convert._value(spec, cell)

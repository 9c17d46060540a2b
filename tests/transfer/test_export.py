"""Exports: the list as the user sees it (filters, columns, scopes), safe cells, streamed."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest

from formwork.store.errors import Forbidden
from formwork.store.query import Query
from formwork.transfer import export as export_module
from formwork.transfer.export import export_fields, export_rows
from formwork.transfer.writers import csv_chunks
from formwork.views.display import Display


def plain(fields, rows) -> Display:
    return Display("en", "UTC")


def read_csv(response) -> list[list[str]]:
    text = response.get_data().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_csv_export_keeps_the_lists_filters_and_columns(as_role, crm) -> None:
    admin = as_role("admin")
    crm.customer("上海建工", region="华东", annual_amount=Decimal("1234.5"))
    crm.customer("北京城建", region="华北")
    response = admin.get("/r/customer/export.csv?region=华东")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0][:2] == ["Customer no.", "Name"]
    assert len(rows) == 2 and rows[1][1] == "上海建工"
    amount = rows[0].index("Annual contract amount")
    assert rows[1][amount] == "1234.50"  # a number a spreadsheet can add, no "¥1,234.50"
    assert rows[1][rows[0].index("Region")] == "East"  # the option's label, in the UI language


def test_the_export_uses_the_export_scope(as_role, crm) -> None:
    mine, other = as_role("account_manager"), as_role("account_manager")
    crm.customer("我的", owner=mine.user)
    crm.customer("别人的", owner=other.user)
    rows = read_csv(mine.get("/r/customer/export.csv"))
    assert [r[1] for r in rows[1:]] == ["我的"]


def test_a_user_without_export_is_refused(as_role) -> None:
    nobody = as_role(None)
    assert nobody.get("/r/customer/export.csv").status_code == 403
    assert nobody.get("/r/customer/export.xlsx").status_code == 403
    assert as_role("admin").get("/r/customer/export.pdf").status_code == 404


def test_hidden_fields_are_never_exported(as_role, crm) -> None:
    support = as_role("tech_support")  # exports what it reads; amounts are hidden from it
    crm.customer("甲", annual_amount=Decimal(100))
    rows = read_csv(support.get("/r/customer/export.csv?annual_amount.min=50"))
    assert "Annual contract amount" not in rows[0]
    assert [r[1] for r in rows[1:]] == ["甲"]  # a filter on a hidden field is ignored
    assert "100" not in support.get("/r/customer/export.csv").get_data(as_text=True)


def test_export_fields_leave_out_hidden_ones_even_when_named(crm_app) -> None:
    customer = crm_app.entity("customer")
    hidden = {"annual_amount"}
    names = [f.name for f in export_fields(customer, hidden, ["name", "annual_amount"])]
    assert names == ["name"]


def test_a_refusal_comes_before_any_row(runtime, users) -> None:
    nobody = users.create("nobody", "No One", "correct horse battery", []).actor()
    customer = runtime.model.entity("customer")
    with pytest.raises(Forbidden):  # raised at once, not when the first row is read
        export_rows(runtime.records, customer, nobody, [], Query(), plain)


def test_cells_that_look_like_formulas_are_neutralised(as_role, crm) -> None:
    admin = as_role("admin")
    crm.customer('=HYPERLINK("http://evil")', annual_amount=Decimal(-5) + 10)
    rows = read_csv(admin.get("/r/customer/export.csv"))
    assert rows[1][1] == '\'=HYPERLINK("http://evil")'
    response = admin.get("/r/customer/export.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    response.close()
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    name = sheet.cell(2, header.index("Name") + 1)
    amount = sheet.cell(2, header.index("Annual contract amount") + 1)
    assert (name.value, name.data_type) == ('\'=HYPERLINK("http://evil")', "s")
    assert (amount.value, amount.data_type) == (5, "n")


def test_records_are_read_a_page_at_a_time(runtime, crm, monkeypatch) -> None:
    monkeypatch.setattr(export_module, "MAX_PAGE_SIZE", 2)
    for i in range(5):
        crm.customer(f"客户{i}")
    calls = []
    query = runtime.records.query
    monkeypatch.setattr(runtime.records, "query", lambda *a, **k: calls.append(1) or query(*a, **k))
    customer = runtime.model.entity("customer")
    fields = export_fields(customer, (), ["name"])
    rows = export_rows(runtime.records, customer, None, fields, Query(sort=("name",)), plain)
    assert len(calls) == 1  # the first page only, until rows are asked for
    assert [r[0] for r in rows] == [f"客户{i}" for i in range(5)]
    assert len(calls) == 3


def test_csv_is_written_in_chunks() -> None:
    rows = ([i, f"row {i}"] for i in range(2500))
    chunks = list(csv_chunks(["n", "text"], rows))
    assert len(chunks) == 3
    assert chunks[0].startswith("\ufeffn,text".encode())

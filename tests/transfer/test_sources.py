"""Reading spreadsheets: CSV in the encodings Excel writes, .xlsx by content, broken files."""

from __future__ import annotations

import codecs
import datetime as dt
import zipfile

import pytest

from formwork.transfer.sources import FileProblem, open_source
from tests.transfer.conftest import write_csv, write_workbook

TEXT = "客户名称,区域\n上海建工,华东\n北京城建,华北\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_csv_is_read_in_the_encodings_excel_saves(folder, encoding) -> None:
    source = open_source(write_csv(folder, TEXT, encoding=encoding))
    assert source.columns == ("客户名称", "区域")
    assert [r.cells for r in source.rows()] == [("上海建工", "华东"), ("北京城建", "华北")]


def test_rows_are_numbered_as_the_spreadsheet_shows_them(folder) -> None:
    path = write_csv(folder, 'name;notes\na;"two\nlines"\n;\nb;x\n')
    source = open_source(path)
    assert [(r.number, r.cells[0]) for r in source.rows()] == [(2, "a"), (4, "b")]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "empty"),
        (b"\n\n", "first row"),
        (b"name,,region\nx,y,z\n", "Column 2 has no name"),
        (b"name,Name\nx,y\n", "Two columns are named"),
        ("name\n上海".encode("gb18030")[:-1] + b"\xff\x80\xff\n", "encoding"),
        (b"PK\x03\x04not really a zip", "not an Excel"),
        (b"\x00\x01\x02binary\x00", "encoding"),
    ],
)
def test_a_broken_file_is_a_clear_problem(folder, content, problem) -> None:
    path = folder / "broken.csv"
    path.write_bytes(content)
    with pytest.raises(FileProblem, match=problem):
        source = open_source(path)
        list(source.rows())


def test_a_workbook_is_read_by_its_content_with_its_cell_types(folder) -> None:
    path = write_workbook(
        folder, [["name", "amount", "signed"], ["甲", 1200.5, dt.date(2024, 3, 5)]], "x.csv"
    )
    source = open_source(path)
    assert source.kind == "xlsx"
    assert source.columns == ("name", "amount", "signed")
    (row,) = source.rows()
    assert row.number == 2 and row.cells[1] == 1200.5
    assert row.cells[2] == dt.datetime(2024, 3, 5)


def test_a_zip_that_is_no_workbook_is_refused(folder) -> None:
    path = folder / "a.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(FileProblem, match="not an Excel"):
        open_source(path)


def test_a_big_file_is_streamed_not_loaded(folder) -> None:
    import tracemalloc

    path = folder / "big.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("name,notes\n")
        for i in range(50_000):
            handle.write(f"客户{i},{'x' * 100}\n")
    source = open_source(path)
    tracemalloc.start()
    count = sum(1 for _row in source.rows())
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == 50_000
    assert peak < 5 * 1024 * 1024  # the file is ~6 MB; reading it holds a few rows at a time
    assert codecs.lookup(source.encoding).name == "utf-8"

"""The import pipeline over the reference app: good files, broken files, upserts, batches."""

from __future__ import annotations

import tracemalloc

import pytest
import sqlalchemy as sa

from formwork.store.errors import Forbidden
from formwork.transfer import pipeline
from formwork.transfer.sources import open_source
from tests.transfer.conftest import make_importer, messages, names, run_import, write_csv

GOOD = """客户名称,客户类型,区域,年度合同金额,重大纠纷,首次签约日期,客户标签
上海建工,开发商,East,"1,200万",是,2024/3/5,高潜力客户、Strategic partner
北京城建,Developer,华北,"¥3,000.50",no,2024年1月2日,
"""


def customers(runtime) -> dict[str, dict]:
    table = runtime.tables["customer"]
    with runtime.db.read() as conn:
        return {r.name: dict(r._mapping) for r in conn.execute(sa.select(table))}


def test_a_good_file_is_checked_then_imported(runtime, folder) -> None:
    path = write_csv(folder, GOOD)
    checked = run_import(runtime, "customer", path, dry_run=True)
    assert (checked.ok, checked.rows, checked.created) == (True, 2, 2)
    assert names(runtime) == []
    result = run_import(runtime, "customer", path)
    assert (result.ok, result.created, result.stopped_at) == (True, 2, None)
    rows = customers(runtime)
    assert rows["上海建工"]["annual_amount"] == 12_000_000
    assert rows["上海建工"]["tags"] == ["高潜力客户", "战略合作伙伴"]
    assert rows["上海建工"]["code"].startswith("KH-")  # numbered by the service
    assert (
        rows["北京城建"]["customer_type"] == "开发商" and rows["北京城建"]["major_dispute"] is False
    )
    assert rows["上海建工"]["grade"] is not None  # the scorecard ran


@pytest.mark.parametrize(
    ("line", "column", "problem"),
    [
        ("甲,火星人,,,,,", "客户类型", "Not an option"),
        ("甲,开发商,,abc,,,", "年度合同金额", "Not a number"),
        ("甲,开发商,,-5,,,", "年度合同金额", "greater than or equal"),
        ("甲,开发商,,,maybe,,", "重大纠纷", "Not yes or no"),
        ("甲,开发商,,,,13/2024/1,", "首次签约日期", "year first"),
        (",开发商,,,,,", "客户名称", "required"),
        ("甲,开发商,,,,,,extra", "", "more cells"),
        ("上海建工,开发商,,,,,", "客户名称", "Row 2 has the same value"),
    ],
)
def test_every_bad_row_is_reported_and_nothing_is_written(runtime, folder, line, column, problem):
    path = write_csv(folder, GOOD + line + "\n")
    result = run_import(runtime, "customer", path, dry_run=True)
    assert [(r, c) for r, c, _m in messages(result)] == [(4, column)]
    assert problem in result.errors[0].message
    assert names(runtime) == []


def test_a_name_taken_by_an_existing_record_is_reported(runtime, crm, folder) -> None:
    crm.customer("北京城建")
    result = run_import(runtime, "customer", write_csv(folder, GOOD), dry_run=True)
    assert messages(result) == [(3, "客户名称", "Already used by another record.")]


def test_a_validation_rule_is_reported_on_its_row(runtime, folder) -> None:
    text = "name,customer_type,annual_amount,max_single_contract\n甲,开发商,10,20\n"
    result = run_import(runtime, "customer", write_csv(folder, text), dry_run=True)
    assert [(e.row, e.column) for e in result.errors] == [(2, "annual_amount")]
    assert "年度合同金额不能小于" in result.errors[0].message  # the default locale, no UI here


def test_contacts_link_their_customer_by_name(runtime, crm, folder) -> None:
    crm.customer("上海建工")
    text = "姓名,所属客户,层级\n张三,上海建工,技术层\n李四,不存在的公司,Executive\n"
    result = run_import(runtime, "contact", write_csv(folder, text), dry_run=True)
    assert messages(result) == [(3, "所属客户", "No record named 不存在的公司 was found.")]


def test_importing_the_same_file_twice_with_a_key_makes_no_duplicates(runtime, folder) -> None:
    path = write_csv(folder, GOOD)
    first = run_import(runtime, "customer", path, key="name")
    again = run_import(runtime, "customer", path, key="name")
    assert (first.created, again.created, again.unchanged) == (2, 0, 2)
    changed = write_csv(folder, GOOD.replace("East", "South"), "changed.csv")
    third = run_import(runtime, "customer", changed, key="name")
    assert (third.created, third.updated, third.unchanged) == (0, 1, 1)
    assert names(runtime) == ["上海建工", "北京城建"]
    assert customers(runtime)["上海建工"]["region"] == "华南"


def test_blank_cells_leave_an_existing_record_as_it_is(runtime, crm, folder) -> None:
    crm.customer("甲", region="华北")
    result = run_import(runtime, "customer", write_csv(folder, "name,region\n甲,\n"), key="name")
    assert result.unchanged == 1
    assert customers(runtime)["甲"]["region"] == "华北"


def test_an_export_round_trips_with_the_auto_number_as_key(runtime, crm, folder) -> None:
    record = crm.customer("甲")
    text = f"客户编号,客户名称,客户类型\n{record['code']},甲乙,开发商\n,丙,开发商\n"
    result = run_import(runtime, "customer", write_csv(folder, text), key="code")
    assert result.errors == []
    assert (result.updated, result.created) == (1, 1)
    assert names(runtime) == ["丙", "甲乙"]


def test_a_key_of_record_numbers_must_name_existing_records(runtime, crm, folder) -> None:
    record = crm.customer("甲")
    text = f"id,name\n{record.id},甲二\n999,乙\n"
    result = run_import(runtime, "customer", write_csv(folder, text), key="id", dry_run=True)
    assert [(e.row, e.column) for e in result.errors] == [(3, "id")]
    assert result.updated == 1


def test_a_failing_batch_is_rolled_back_whole_and_the_import_stops(runtime, crm, folder):
    rows = "".join(f"客户{i},开发商\n" for i in range(10))
    path = write_csv(folder, "name,customer_type\n" + rows)
    crm.customer("客户7")  # taken after the file was made: row 9, mid third batch (rows 8-10)
    result = run_import(runtime, "customer", path, batch_size=3)
    assert (result.stopped_at, result.created) == (8, 6)
    assert messages(result) == [(9, "name", "Already used by another record.")]
    # 客户6 (row 8) was written in the failed batch before row 9 and rolled back with it
    assert names(runtime) == sorted([f"客户{i}" for i in range(6)] + ["客户7"])


def test_a_batch_of_several_runs_is_still_one_transaction(runtime, crm, folder, monkeypatch):
    """New records are created a run (`RUN_ROWS`) at a time, to bound the memory a batch
    takes; the runs of a batch commit together or not at all."""
    monkeypatch.setattr(pipeline, "RUN_ROWS", 2)
    rows = "".join(f"客户{i},开发商\n" for i in range(10))
    path = write_csv(folder, "name,customer_type\n" + rows)
    crm.customer("客户7")  # row 9: the fourth run of the second batch (rows 7-11)
    calls: list[tuple[int, int]] = []
    source = open_source(path)
    importer = make_importer(runtime, "customer", source, None, None)
    result = importer.run(source, batch_size=5, progress=lambda *told: calls.append(told))
    assert (result.stopped_at, result.created) == (7, 5)
    assert messages(result) == [(9, "name", "Already used by another record.")]
    # 客户5 and 客户6 (the second batch's first run) were rolled back with the batch
    assert names(runtime) == sorted([f"客户{i}" for i in range(5)] + ["客户7"])
    assert calls == [(2, 10), (4, 10), (5, 10), (5, 10), (7, 10)]  # runs, then the batch


@pytest.mark.parametrize("told", [False, True])
def test_the_rows_of_the_file_are_counted_with_or_without_progress(runtime, crm, folder, told):
    rows = "".join(f"客户{i},开发商\n" for i in range(10)) + "\n,\n"  # blank rows do not count
    path = write_csv(folder, "name,customer_type\n" + rows)
    crm.customer("客户4")  # the import stops in its second batch
    calls: list[tuple[int, int]] = []
    source = open_source(path)
    importer = make_importer(runtime, "customer", source, None, None)
    progress = (lambda done, total: calls.append((done, total))) if told else None
    result = importer.run(source, batch_size=3, progress=progress)
    assert (result.rows, result.stopped_at, result.created) == (10, 5, 3)
    assert calls == ([(3, 10), (3, 10)] if told else [])  # the run, then the batch


def test_skipping_bad_rows_imports_the_others(runtime, folder) -> None:
    path = write_csv(folder, GOOD + "坏,火星人\n")
    result = run_import(runtime, "customer", path, skip_invalid=True)
    assert (result.created, result.skipped) == (2, 1)


def test_without_skipping_a_bad_row_stops_before_its_batch(runtime, folder) -> None:
    path = write_csv(folder, GOOD + "坏,火星人\n")
    result = run_import(runtime, "customer", path, batch_size=2)
    assert (result.created, result.stopped_at) == (2, 4)


def test_the_user_needs_the_import_permission(runtime, users, folder) -> None:
    source = open_source(write_csv(folder, GOOD))
    finance = users.create("fin", "Fin", "correct horse battery", ["finance"]).actor()
    with pytest.raises(Forbidden):
        make_importer(runtime, "customer", source, finance)


def test_a_hidden_field_cannot_be_imported_even_when_named(runtime, users, folder) -> None:
    director = users.create("dir", "Dir", "correct horse battery", ["sales_director"]).actor()
    source = open_source(write_csv(folder, "name,customer_type,credit_rating\n甲,开发商,AAA\n"))
    importer = make_importer(runtime, "customer", source, director)
    assert "credit_rating" not in importer.mapping.fields.values()  # read-only for directors
    result = importer.run(source)
    assert result.created == 1
    assert customers(runtime)["甲"]["credit_rating"] is None


def test_a_huge_file_of_bad_rows_is_checked_in_bounded_memory(runtime, folder) -> None:
    path = folder / "huge.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("name,customer_type\n")
        for i in range(50_000):
            handle.write(f"客户{i},外星人\n")
    tracemalloc.start()
    result = run_import(runtime, "customer", path, dry_run=True, batch_size=1000)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert (result.rows, len(result.bad_rows)) == (50_000, 50_000)
    assert peak < 60 * 1024 * 1024  # the errors themselves, not the file
    assert names(runtime) == []

"""How an import writes its batches: new records together, updates in their place, rollups once.

(What a batch stores is compared with creating its rows one by one in
tests/store/test_bulk_write.py; these tests follow the rows of a file through the pipeline.)
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from formwork.store.system import AUDIT_TABLE
from tests.transfer.conftest import run_import, write_csv


def audit_actions(runtime, entity: str) -> list[tuple[int, str]]:
    table = runtime.tables.system(AUDIT_TABLE)
    with runtime.db.read() as conn:
        rows = conn.execute(
            sa.select(table.c.record_id, table.c.action)
            .where(table.c.entity == entity)
            .order_by(table.c.id)
        )
        return [tuple(r) for r in rows]


def test_imported_contracts_roll_up_into_their_customers_once_per_batch(
    runtime, crm, users, folder
) -> None:
    manager = users.create("am", "AM", "correct horse battery", ["account_manager"])
    first, second = (crm.customer(n, owner=manager) for n in ("上海建工", "北京城建"))
    signed = (dt.date.today() - dt.timedelta(days=30)).isoformat()
    lines = [
        f"合同{i},{name},施工总承包,{amount},approved,{signed},am"
        for i, (name, amount) in enumerate(
            [("上海建工", 3_000_000), ("北京城建", 1_000_000), ("上海建工", 4_000_000)]
        )
    ]
    header = "name,customer,contract_type,amount,status,signed_on,account_manager\n"
    text = header + "\n".join(lines) + "\n"
    result = run_import(runtime, "contract", write_csv(folder, text))
    assert (result.ok, result.created) == (True, 3)
    records = runtime.records
    assert records.get("customer", first.id)["contracts_12m"] == Decimal("7000000.00")
    assert records.get("customer", second.id)["largest_contract"] == Decimal("1000000.00")
    assert records.get("customer", first.id)["score"] > first["score"]  # graded again
    recomputes = [r for r in audit_actions(runtime, "customer") if r[1] == "recompute"]
    assert sorted(recomputes) == [(first.id, "recompute"), (second.id, "recompute")]
    assert {c["account_manager"] for c in _contracts(runtime)} == {manager.id}


def _contracts(runtime) -> list[dict]:
    table = runtime.tables["contract"]
    with runtime.db.read() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(table).order_by(table.c.id))]


def test_new_rows_are_numbered_in_file_order_around_rows_that_update(runtime, crm, folder):
    crm.customer("老客户", region="华北")
    text = "name,customer_type,region\n新一,开发商,华东\n老客户,开发商,华南\n新二,设计院,\n"
    result = run_import(runtime, "customer", write_csv(folder, text), key="name")
    assert (result.ok, result.created, result.updated) == (True, 2, 1)
    table = runtime.tables["customer"]
    with runtime.db.read() as conn:
        rows = conn.execute(
            sa.select(table.c.name, table.c.code, table.c.region).order_by(table.c.id)
        )
        found = [tuple(r) for r in rows]
    assert [(name, region) for name, _code, region in found] == [
        ("老客户", "华南"),
        ("新一", "华东"),
        ("新二", None),
    ]
    codes = [code for _name, code, _region in found]
    assert codes == sorted(codes) and len(set(codes)) == 3
    assert [action for _id, action in audit_actions(runtime, "customer")] == [
        "create",
        "create",
        "update",
        "create",
    ]

"""After a formula changes in the config, `recompute_all` brings every stored value in line,
as a write would: audited, with grades and dependent records carried along."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from formwork.metamodel import load_app
from formwork.store.recompute import recompute_all
from formwork.store.records import RecordService
from formwork.store.system import AUDIT_TABLE
from tests.store import conftest as store


def changed_package(tmp_path: Path) -> Path:
    """The sales app with the deal's net amount no longer taking the discount off."""
    root = tmp_path / "sales2"
    for folder in ("entities", "gradings"):
        (root / folder).mkdir(parents=True)
    (root / "app.yaml").write_text(store.SALES_APP, encoding="utf-8")
    (root / "entities" / "account.yaml").write_text(store.SALES_ACCOUNT, encoding="utf-8")
    deal = store.SALES_DEAL.replace(
        'formula: "amount * (1 - coalesce(discount, 0) / 100)"', 'formula: "amount * 2"'
    )
    assert deal != store.SALES_DEAL
    (root / "entities" / "deal.yaml").write_text(deal, encoding="utf-8")
    (root / "gradings" / "account_grade.yaml").write_text(store.SALES_GRADING, encoding="utf-8")
    return root


@pytest.mark.parametrize("batch_size", [1, 100])
def test_a_changed_formula_is_applied_to_every_record(
    sales: RecordService, tmp_path: Path, batch_size: int
) -> None:
    account = sales.create("account", {"name": "Acme"})
    deals = [
        sales.create(
            "deal",
            {
                "title": f"d{i}",
                "amount": 1000 * i,
                "discount": 10,
                "stage": "won",
                "account": account.id,
            },
        )
        for i in (1, 2, 3)
    ]
    assert [d["net"] for d in deals] == [Decimal("900.00"), Decimal("1800.00"), Decimal("2700.00")]
    changed = RecordService(
        sales.db, load_app(changed_package(tmp_path)), sales.tables, tmp_path / "files"
    )
    seen: list[int] = []
    result = recompute_all(
        changed, "deal", batch_size=batch_size, progress=lambda done, total: seen.append(done)
    )
    assert (result.total, result.changed) == (3, 3)
    assert seen[-1] == 3
    assert [changed.get("deal", d.id)["net"] for d in deals] == [
        Decimal("2000.00"),
        Decimal("4000.00"),
        Decimal("6000.00"),
    ]
    audit = sales.tables.system(AUDIT_TABLE)
    with sales.db.read() as conn:
        actions = (
            conn.execute(
                sa.select(audit.c.changes).where(
                    audit.c.entity == "deal", audit.c.action == "recompute"
                )
            )
            .scalars()
            .all()
        )
    assert {"net"} <= set().union(*actions)
    assert recompute_all(changed, "deal").changed == 0, "a second run has nothing left to do"

"""The reference app's reminders: what they call for on fixed days, for whom; `formwork tick`
and the development server's ticker make them."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from click.testing import CliRunner

from formwork.cli import main
from formwork.flows.ticker import Ticker
from formwork.metamodel import App
from formwork.reminders import Reminders
from formwork.runtime import Runtime
from tests.app_fixtures import Crm
from tests.conftest import CRM_PACKAGE


def test_the_reference_app_has_a_reminder_of_each_kind(crm_app: App) -> None:
    kinds = {r.name: (r.entity, r.kind) for r in crm_app.reminders.values()}
    assert kinds == {
        "receivable_due_soon": ("receivable", "before"),
        "receivable_overdue": ("receivable", "overdue"),
        "contract_expiring": ("contract", "before"),
        "customer_follow_up": ("customer", "overdue"),
        "contact_birthday": ("contact", "yearly"),
        "ticket_response_due": ("ticket", "before"),
    }
    for reminder in crm_app.reminders.values():
        assert set(reminder.label.texts) == {"zh", "en"}
        assert set(reminder.title.texts) == {"zh", "en"}


def titles(reminders: Reminders, user_id: int, today: dt.date) -> dict[str, str]:
    return {t.rule: t.title.get("en") for t in reminders.todos.due(user_id, today, ahead=60)}


def test_receivables_contracts_birthdays_for_the_account_manager_and_finance(
    runtime: Runtime, crm: Crm, users
) -> None:
    manager = users.create("wang", "Wang", "x" * 12, ["account_manager"])
    finance = users.create("zhao", "Zhao", "x" * 12, ["finance"])
    records = runtime.records
    customer = crm.customer("华东建工", owner=manager)
    crm.contact("李工", customer, birthday="1980-03-12", title="总工")
    contract_type = records.app.entity("contract").fields["contract_type"].options[0].value
    contract = records.create(
        "contract",
        {
            "name": "一期总包",
            "customer": customer.id,
            "contract_type": contract_type,
            "amount": 1_000_000,
            "expires_on": "2026-04-05",
        },
    )
    with runtime.db.write() as conn:  # approved (the flow would do this)
        table = runtime.tables["contract"]
        conn.execute(table.update().where(table.c.id == contract.id).values(status="approved"))
    records.create(
        "receivable",
        {
            "contract": contract.id,
            "installment": "预付款",
            "planned_amount": 300_000,
            "planned_on": "2026-03-10",
        },
    )
    reminders = Reminders(records)
    reminders.generate(dt.date(2026, 3, 6))
    mine = titles(reminders, manager.id, dt.date(2026, 3, 6))
    assert set(mine) == {"receivable_due_soon", "contract_expiring", "contact_birthday"}
    assert mine["contract_expiring"] == (
        "Contract 一期总包 (华东建工) expires on 2026-04-05: follow up on the renewal"
    )
    assert mine["contact_birthday"] == "Birthday of 李工 (总工, 华东建工): send your wishes"
    assert set(titles(reminders, finance.id, dt.date(2026, 3, 6))) == {"receivable_due_soon"}
    reminders.generate(dt.date(2026, 3, 11))
    late = titles(reminders, finance.id, dt.date(2026, 3, 11))["receivable_overdue"]
    assert late.endswith("is overdue: due on 2026-03-10, ¥300,000.00 outstanding")


def test_an_a_customer_not_visited_for_a_month_calls_for_a_visit(
    runtime: Runtime, crm: Crm, users
) -> None:
    manager = users.create("wang", "Wang", "x" * 12, ["account_manager"])
    customer = crm.customer("华东建工", owner=manager)
    runtime.records.create(
        "visit",
        {
            "customer": customer.id,
            "visit_on": "2026-02-01",
            "subject": "季度回访",
            "summary": "了解二期需求",
        },
    )
    with runtime.db.write() as conn:  # graded A (the scorecard would need a large account)
        table = runtime.tables["customer"]
        conn.execute(table.update().where(table.c.id == customer.id).values(grade="A"))
    reminders = Reminders(runtime.records)
    reminders.generate(dt.date(2026, 3, 3))
    assert "customer_follow_up" not in titles(reminders, manager.id, dt.date(2026, 3, 3))
    reminders.generate(dt.date(2026, 3, 4))
    follow_up = titles(reminders, manager.id, dt.date(2026, 3, 4))["customer_follow_up"]
    assert follow_up == "A customer 华东建工 has not been visited since 2026-02-01: plan a visit"


def test_tick_makes_the_todos_of_the_day_it_is_given(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'crm.db'}"
    env = {"FORMWORK_INSTANCE": str(tmp_path)}
    args = ["-p", str(CRM_PACKAGE), "-d", database]
    assert CliRunner().invoke(main, ["migrate", *args, "--yes"], env=env).exit_code == 0
    from formwork.runtime import open_runtime

    runtime = open_runtime({"package": CRM_PACKAGE, "database_url": database, "instance": tmp_path})
    crm = Crm(runtime)
    from formwork.auth import UserStore

    manager = UserStore.of(runtime).create("wang", "Wang", "x" * 12, ["account_manager"])
    crm.contact("李工", crm.customer("华东建工", owner=manager), birthday="1980-03-12")
    runtime.close()
    ticked = CliRunner().invoke(main, ["tick", *args, "--today", "2026-03-10"], env=env)
    assert ticked.exit_code == 0, ticked.output
    assert "to-dos made: 1, closed: 0" in ticked.output
    again = CliRunner().invoke(main, ["tick", *args, "--today", "2026-03-10"], env=env)
    assert "to-dos made: 0, closed: 0" in again.output
    later = CliRunner().invoke(main, ["tick", *args, "--today", "2026-03-13"], env=env)
    assert "to-dos made: 0, closed: 1" in later.output
    refused = CliRunner().invoke(main, ["tick", *args, "--today", "10/03/2026"], env=env)
    assert refused.exit_code == 2 and "Traceback" not in refused.output


def test_the_development_ticker_makes_todos_too(runtime: Runtime, crm: Crm, users) -> None:
    manager = users.create("wang", "Wang", "x" * 12, ["account_manager"])
    today = runtime.records.clock().date()
    crm.contact("李工", crm.customer("华东建工", owner=manager), birthday=f"1980-{today:%m-%d}")
    ticker = Ticker(runtime.flows, interval=0.05).start()
    try:
        for _ in range(100):
            if Reminders(runtime.records).todos.count_due(manager.id, today):
                break
            time.sleep(0.05)
    finally:
        ticker.stop()
    assert Reminders(runtime.records).todos.count_due(manager.id, today) == 1

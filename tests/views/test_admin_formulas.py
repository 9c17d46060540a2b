"""The formula editor: the check as the admin types (the same check as `formwork validate`),
and evaluating a formula on a record the admin picks."""

from __future__ import annotations

import re
from html import unescape

import pytest

from formwork.overlay.patches import Overlay
from formwork.views.admin.formula_tools import evaluate as evaluate_formula
from tests.pages import Page

CHECK = "/admin/config/formula/check"
EVALUATE = "/admin/config/formula/evaluate"
HTMX = {"HX-Request": "true"}


def check(client, formula: str, entity: str = "customer", expect: str = "") -> str:
    response = client.get(
        CHECK, query_string={"entity": entity, "expect": expect, "input": "f", "f": formula}
    )
    assert response.status_code == 200
    return plain(response.get_data(as_text=True))


def plain(html: str) -> str:
    """The text of a partial, as one line."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_a_valid_formula_says_what_it_gives(as_role) -> None:
    admin = as_role("admin")
    assert "gives a number" in check(admin, "annual_amount * 2", expect="number")
    assert "gives true or false" in check(
        admin, "grade == 'A' and not major_dispute", expect="bool"
    )


@pytest.mark.parametrize(
    ("formula", "expect", "said"),
    [
        ("annual_amout * 2", "number", "Did you mean 'annual_amount'"),
        ("annual_amount * 2", "bool", "true/false is needed"),
        ("name + 1", "", "+ with text needs text"),
        ("__import__('os')", "", "not allowed"),
        ("max(", "", "column"),
        ("frobnicate(name)", "", "unknown function"),
    ],
)
def test_a_wrong_formula_says_what_is_wrong_and_how_to_fix_it(
    as_role, formula, expect, said
) -> None:
    answer = check(as_role("admin"), formula, expect=expect)
    assert "✗" in answer and said in answer


def test_the_check_knows_fields_the_draft_adds(as_role, runtime) -> None:
    admin = as_role("admin")
    assert "contact has no field 'wechat'" in check(admin, "wechat == 'x'", entity="contact")
    field = {"type": "text", "label": {"zh": "微信"}}
    runtime.site.save_draft(Overlay().set("entities/contact/fields/wechat", field), "admin")
    assert "gives true or false" in check(admin, "wechat == 'x'", entity="contact")


def test_the_check_of_an_unknown_entity_says_so(as_role) -> None:
    assert "no entity named" in check(as_role("admin"), "1", entity="nope")


def test_the_editor_checks_each_formula_when_the_page_opens(as_role, runtime) -> None:
    path = "entities/contact/fields/email/visible_when"
    runtime.site.save_draft(Overlay().set(path, "is_primary"), "admin")
    page = Page(
        as_role("admin").get("/admin/config/entities/contact/fields/email").get_data(as_text=True)
    )
    assert "gives true or false" in page.text("p-entities-contact-fields-email-visible_when-check")


def evaluate(client, formula: str, record: int | str, entity: str = "customer", **extra) -> str:
    params = {"entity": entity, "input": "f", "f": formula, "f__record": str(record), **extra}
    response = client.get(EVALUATE, query_string=params, headers=HTMX)
    assert response.status_code == 200
    return plain(response.get_data(as_text=True))


def test_evaluating_on_a_record_shows_the_value(as_role, crm) -> None:
    admin = as_role("admin")
    customer = crm.customer("甲方", annual_amount=1500000, complexity=4)
    assert "On 甲方: 3000000" in evaluate(admin, "annual_amount * 2", customer.id)
    assert "true" in evaluate(admin, "complexity >= 4 and name == '甲方'", customer.id)


def test_evaluating_follows_links_and_aggregates_related_records(as_role, crm) -> None:
    admin = as_role("admin")
    customer = crm.customer("乙方")
    contact = crm.contact("王工", customer)
    crm.contact("李工", customer)
    assert "On 王工: 乙方" in evaluate(admin, "customer.name", contact.id, entity="contact")
    assert "On 乙方: 2" in evaluate(admin, "count(contacts)", customer.id)


def test_a_record_can_be_picked_by_its_name_without_js(as_role, crm) -> None:
    admin = as_role("admin")
    crm.customer("丙方", complexity=3)
    response = admin.post_form(
        f"{EVALUATE}?entity=customer&expect=number",
        {"input": "f", "f": "complexity * 10", "f__record__q": "丙方"},
    )
    assert response.status_code == 200
    page = Page(response.get_data(as_text=True))
    assert "30" in page.text("formula-result") and "<html" in response.get_data(as_text=True)


def test_evaluating_needs_a_record_the_admin_can_read(as_role) -> None:
    admin = as_role("admin")
    assert "Pick a record first" in evaluate(admin, "1 + 1", "")
    assert "no such record" in evaluate(admin, "1 + 1", 99999)


def test_a_formula_with_an_error_is_not_evaluated(as_role, crm) -> None:
    customer = crm.customer("丁方")
    assert "customer has no field 'nothing_here'" in evaluate(
        as_role("admin"), "nothing_here", customer.id
    )


@pytest.mark.parametrize(
    "query",
    [
        {"input": "f", "f": "1"},  # no entity
        {"entity": "customer", "input": "x" * 600},
    ],
)
def test_malformed_checks_are_bad_requests(as_role, query) -> None:
    assert as_role("admin").get(CHECK, query_string=query).status_code == 400


@pytest.mark.parametrize("entity", ["nope", "project_milestone"])
def test_evaluating_on_an_unknown_or_child_entity_is_not_found(as_role, runtime, entity) -> None:
    if entity not in runtime.model.entities:
        assert entity == "nope"
    response = as_role("admin").get(
        EVALUATE, query_string={"entity": entity, "input": "f", "f": "1", "f__record": "1"}
    )
    assert response.status_code == 404


def test_only_admins_may_evaluate(as_role, crm) -> None:
    customer = crm.customer("戊方")
    manager = as_role("account_manager")
    response = manager.get(
        EVALUATE,
        query_string={"entity": "customer", "input": "f", "f": "name", "f__record": customer.id},
    )
    assert response.status_code == 403


def test_evaluation_reads_as_the_user_may(runtime, users, crm) -> None:
    """Evaluation goes through the record service: rows and fields the user may not read
    are absent (here an account manager's view, to show the rule the admin's view follows)."""
    mine = users.create("am1", "am1", "correct horse battery", ["account_manager"])
    other = users.create("am2", "am2", "correct horse battery", ["account_manager"])
    theirs = crm.customer("己方", owner=other, annual_amount=100)
    own = crm.customer("庚方", owner=mine, annual_amount=100)
    app, service = runtime.model, runtime.records
    hidden = evaluate_formula(
        app, "customer", "annual_amount", "number", theirs.id, service, mine.actor()
    )
    assert hidden.error and hidden.value is None
    shown = evaluate_formula(
        app, "customer", "annual_amount", "number", own.id, service, mine.actor()
    )
    assert shown.value == 100
    support = users.create("ts", "ts", "correct horse battery", ["tech_support"])
    masked = evaluate_formula(
        app, "customer", "annual_amount", "number", own.id, service, support.actor()
    )
    assert masked.error is None and masked.value is None  # a field hidden from the role

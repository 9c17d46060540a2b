"""Formulas are checked at load: unknown names, arity, types, and a closed set of syntax.

simpleeval alone is no sandbox; these hostile formulas must all be refused before anything
runs, each with a reason and, where it helps, the column.
"""

from __future__ import annotations

import pytest

from formwork.rules.checker import check
from formwork.rules.scope import Scope
from formwork.rules.syntax import MAX_NODES, FormulaError

HOSTILE = [
    ("4000000**4000000", "exponents are limited"),
    ("amount ** 1000", "exponents are limited"),
    ("'x'.ljust(400000000)", "only functions can be called"),
    ("'%0500000000d' % 1", "% is not allowed"),
    ("title * 400000000", "needs a number"),
    ("__import__('os').system('ls')", "only functions can be called"),
    ("__import__('os')", "names starting with _"),
    ("().__class__.__bases__[0].__subclasses__()", "only functions can be called"),
    ("().__class__", "names starting with _"),
    ("(1).real", "only field paths"),
    ("amount.__class__", "names starting with _"),
    ("[x for x in range(10)]", "comprehensions"),
    ("lambda: 1", "lambda"),
    ("{'a': 1}", "dict literals"),
    ("title[0]", "indexing"),
    ("open('/etc/passwd')", "unknown function open()"),
    ("eval('1')", "unknown function eval()"),
    ("round(amount, ndigits=2)", "keyword arguments"),
    ("f'{title}'", "f-strings"),
    ("(y := 1)", ":="),
    ("amount // 2", "// is not allowed"),
    ("amount if flag", "syntax error"),
    ("+".join(["amount"] * 5000), "longer than"),
    ("+".join(["1"] * 600), "deeper than"),
    ("max(" + ", ".join(["1"] * 450) + ")", "more than 400 parts"),
    ("abs(" * 150 + "1" + ")" * 150, "deeper than"),
    ("'" + "x" * 600 + "'", "limited to 500 characters"),
    ("1" * 30, "15 digits"),
    ("", "empty"),
    ("a" * 2100, "longer than"),
]


@pytest.mark.parametrize(("formula", "reason"), HOSTILE, ids=[h[0][:30] for h in HOSTILE])
def test_hostile_formulas_are_refused(deal_scope: Scope, formula: str, reason: str) -> None:
    with pytest.raises(FormulaError, match=reason):
        check(formula, deal_scope)


MISTAKES = [
    ("amout * 2", "deal has no field 'amout'", "Did you mean 'amount'?"),
    ("account.nmae", "account has no field 'nmae'", "Did you mean 'name'?"),
    ("owner.password_hash", "users have no field", "Readable"),
    ("amount.total", "amount is not a link", ""),
    ("notes == 1", "cannot be used in formulas", ""),
    ("lines == 1", "list of related records", "count(lines)"),
    ("round()", "round() takes 1–2 argument(s), not 0", ""),
    ("abs(1, 2)", "abs() takes 1 argument(s), not 2", ""),
    ("upper(amount)", "argument 1 of upper() cannot be a number", ""),
    ("roud(amount)", "unknown function roud()", "Did you mean round()?"),
    ("title + 1", "+ with text needs text", ""),
    ("amount > 'x'", "cannot compare a number with text", ""),
    ("amount == None", "comparing with None", "is_empty"),
    ("flag and amount", "and needs true/false", ""),
    ("1 if title else 2", "if needs true/false", ""),
    ("1 if flag else 'x'", "both branches", ""),
    ("tags > 1", "cannot compare", ""),
    ("amount in tags", "needs text", ""),
    ("stage in ['lead', 2]", "must hold text literals", ""),
    ("stage in []", "is empty", ""),
    ("stage in [] < 3", "cannot be chained", ""),
    ("sum(lines.product)", "sum() needs a number field", ""),
    ("sum(lines)", "sum() needs a field", ""),
    ("count(lines, price)", "condition needs true/false", ""),
    ("count(lines, nope > 1)", "deal_line has no field 'nope'", ""),
    ("coalesce(amount, title)", "one type", ""),
    ("account.owner.username.x", "not a link", ""),
]


@pytest.mark.parametrize(("formula", "message", "hint"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_mistakes_are_reported_with_a_reason_and_a_hint(
    deal_scope: Scope, formula: str, message: str, hint: str
) -> None:
    with pytest.raises(FormulaError) as caught:
        check(formula, deal_scope)
    assert message in caught.value.message
    assert hint in caught.value.hint


def test_an_error_points_at_its_column(deal_scope: Scope) -> None:
    with pytest.raises(FormulaError) as caught:
        check("amount + amout", deal_scope)
    assert caught.value.column == 10


def test_the_node_limit_is_a_real_limit(deal_scope: Scope) -> None:
    just_enough = "max(" + ", ".join(["qty"] * (MAX_NODES // 2 - 5)) + ")"
    check(just_enough, deal_scope)
    long_sum = " + ".join(["qty"] * 60)
    check(long_sum, deal_scope)


@pytest.mark.parametrize(
    ("formula", "type_"),
    [
        ("amount * qty", "number"),
        ("title + ' ' + stage", "text"),
        ("amount > 100 and not flag", "bool"),
        ("'hot' in tags", "bool"),
        ("stage in ['won', 'lost']", "bool"),
        ("account.credit - amount", "number"),
        ("account.owner.display_name", "text"),
        ("days_between(opened, due)", "number"),
        ("add_days(due, 30)", "date"),
        ("sum(lines.price)", "number"),
        ("count(lines, open and price > 100)", "number"),
        ("max(lines.price)", "number"),
        ("max(amount, 1, qty)", "number"),
        ("coalesce(title, 'untitled')", "text"),
        ("None if flag else amount", "number"),
        ("1 < qty <= 10", "bool"),
        ("true or false", "bool"),
    ],
)
def test_well_formed_formulas_get_their_type(deal_scope: Scope, formula: str, type_: str) -> None:
    assert check(formula, deal_scope).type == type_


def test_an_expected_type_is_enforced(deal_scope: Scope) -> None:
    with pytest.raises(FormulaError, match="gives text, but a number is needed"):
        check("title", deal_scope, expect="number")


def test_dependencies_are_known(deal_scope: Scope) -> None:
    formula = check("amount * qty + account.credit + count(lines, open)", deal_scope)
    assert formula.fields() == {"amount", "qty", "account"}
    assert formula.links() == {("account", "credit")}
    assert [a.relation for a in formula.aggregates()] == ["lines"]

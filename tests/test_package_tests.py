"""Package tests (`tests/*.yaml`, `formwork test`): the reference package's own cases pass, a
wrong expectation fails with a message a consultant can act on, each case has a database of
its own, and a broken test file is a config problem with file and line."""

from __future__ import annotations

import datetime as dt
import shutil
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from formwork.cli import main
from formwork.metamodel import App, ConfigError, load_app
from formwork.package_test_values import matches
from formwork.package_tests import SuiteReport, run_package_tests
from tests.conftest import CRM_PACKAGE
from tests.packages import write_package

HEADER = "# yaml-language-server: $schema=../../../formwork/metamodel/schema/test.schema.json\n"


def crm_with_tests(tmp_path: Path, **files: str) -> Path:
    """A copy of the reference package whose tests/ holds only `files` (name → YAML)."""
    root = tmp_path / "crm"
    shutil.copytree(CRM_PACKAGE, root, ignore=shutil.ignore_patterns("tests"))
    (root / "tests").mkdir()
    for name, text in files.items():
        (root / "tests" / f"{name}.yaml").write_text(
            HEADER + textwrap.dedent(text), encoding="utf-8"
        )
    return root


def run(root: Path) -> SuiteReport:
    return run_package_tests(load_app(root))


BIG_CUSTOMER = """\
suite: grading
cases:
  - name: a 500万 contract makes an A
    given:
      - customer: {name: 甲, customer_type: 开发商, annual_amount: 5000000,
                   max_single_contract: 5000000}
        as: jia
    expect:
      - record: jia
        values: {grade: B, score: 21}
"""


# -- the reference package -------------------------------------------------------------------
def test_the_reference_package_passes_its_own_tests(crm_app: App) -> None:
    report = run_package_tests(crm_app)
    assert report.ok, "\n".join(f"{r.name}: {r.failures}" for r in report.results)
    assert report.passed >= 60
    suites = {path.stem for path in (CRM_PACKAGE / "tests").glob("*.yaml")}
    assert {r.suite for r in report.results} == suites


def test_select_runs_only_matching_cases(crm_app: App) -> None:
    report = run_package_tests(crm_app, select="customer_overrides::")
    assert report.results
    assert {r.suite for r in report.results} == {"customer_overrides"}


# -- failures read well ----------------------------------------------------------------------
def test_a_wrong_expectation_fails_with_expected_actual_and_the_line(tmp_path: Path) -> None:
    report = run(crm_with_tests(tmp_path, grading=BIG_CUSTOMER))
    (result,) = report.results
    assert (report.passed, report.failed) == (0, 1)
    assert result.name == "grading::a 500万 contract makes an A"
    assert str(result.location) == "crm/tests/grading.yaml:4"
    assert result.failures[0] == (
        "customer jia (crm/tests/grading.yaml:10): grade: expected 'B', got 'A'"
    )
    assert len(result.failures) == 2, "the score was right; then the why line"
    why = result.failures[1]
    assert "customer_grade: score 21 → C → A by override 1" in why
    assert "contract_value 5000000 → 60 pts × 35 = 21" in why


def test_a_refusal_that_did_not_happen_fails(tmp_path: Path) -> None:
    suite = """\
    cases:
      - name: not refused
        given:
          - customer: {name: 甲, customer_type: 开发商, annual_amount: 200,
                       max_single_contract: 100}
        expect_errors: {annual_amount: 不能小于}
    """
    (result,) = run(crm_with_tests(tmp_path, refusals=suite)).results
    assert result.failures == (
        "step 1 (crm/tests/refusals.yaml:5) was saved, but it should have been refused "
        "with errors on annual_amount",
    )


def test_errors_must_be_on_exactly_the_fields_listed(tmp_path: Path) -> None:
    suite = """\
    cases:
      - name: wrong field and text
        given:
          - customer: {annual_amount: 100}
        expect_errors: {name: 必须, annual_amount: 不能}
    """
    (result,) = run(crm_with_tests(tmp_path, refusals=suite)).results
    assert result.failures == (
        "error on name: expected a message containing '必须', got 'This field is required.'",
        "expected an error on annual_amount (crm/tests/refusals.yaml:5), got none; errors were: "
        "name: This field is required.; customer_type: This field is required.",
        "unexpected error on customer_type: 'This field is required.'",
    )


def test_an_unexpected_refusal_stops_the_case(tmp_path: Path) -> None:
    suite = """\
    cases:
      - name: refused early
        given:
          - customer: {name: 甲}
          - customer: {name: 乙, customer_type: 开发商}
        expect:
          - values: {grade: C}
    """
    (result,) = run(crm_with_tests(tmp_path, refusals=suite)).results
    assert result.failures == (
        "step 1 (crm/tests/refusals.yaml:5) was refused: customer_type: This field is required.",
    )


def test_explanations_are_checked(tmp_path: Path) -> None:
    suite = """\
    cases:
      - name: why
        given:
          - customer: {name: 甲, customer_type: 开发商, annual_amount: 20000000}
        expect:
          - explanation:
              score_grade: A
              override: 老客户
              dimensions: {contract_value: {points: {max: 80}}}
    """
    (result,) = run(crm_with_tests(tmp_path, why=suite)).results
    what = "customer #1 (crm/tests/why.yaml:7)"
    assert result.failures[:3] == (
        f"{what}: the score alone gives 'C', expected 'A'",
        f"{what}: expected the override whose reason contains '老客户', got one whose reason "
        "is '大客户：单笔合同≥500万或年累计合同额≥2000万'",
        f"{what}: dimension contract_value points: expected at most 80, got 100",
    )


# -- isolation and the suite's settings -------------------------------------------------------
def test_each_case_has_a_fresh_database_and_a_fixed_date(tmp_path: Path) -> None:
    suite = """\
    today: 2025-03-01
    cases:
      - name: first
        given: [{customer: {name: 甲, customer_type: 开发商}}]
        expect: [{values: {code: KH-2025-00001, created_at: null}}]
      - name: second, same unique name
        given: [{customer: {name: 甲, customer_type: 开发商}}]
        expect: [{values: {code: KH-2025-00001}}]
    """
    with pytest.raises(ConfigError) as caught:
        run(crm_with_tests(tmp_path, fresh=suite))
    (problem,) = caught.value.problems
    assert (problem.code, problem.path) == (
        "FW702",
        "tests.fresh.cases[0].expect[0].values.created_at",
    )
    report = run(crm_with_tests(tmp_path / "again", fresh=suite.replace(", created_at: null", "")))
    assert report.ok, [r.failures for r in report.results]


# -- comparisons ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("expected", "actual"),
    [
        (80, Decimal("80.00")),
        ("5,000,000", Decimal("5000000.00")),
        (79.8, 79.8),
        ({"between": [60, 80]}, Decimal("80.00")),
        ({"min": 60, "max": 60}, Decimal("60")),
        ({"not": "A"}, "B"),
        ({"empty": True}, None),
        ({"empty": False}, 0),
        (None, None),
        ("2025-03-01", dt.date(2025, 3, 1)),
        ({"min": "2025-01-01"}, dt.date(2025, 3, 1)),
        (False, False),
        (["a", "b"], ["a", "b"]),
        ([{"title": "x"}], [{"id": 3, "title": "x", "done": False}]),
    ],
)
def test_values_that_match(expected: object, actual: object) -> None:
    assert matches(expected, actual) is None


@pytest.mark.parametrize(
    ("expected", "actual", "reason"),
    [
        (80, Decimal("79.99"), "expected 80, got 79.99"),
        ("80", "080", "expected '80', got '080'"),
        (0, False, "expected 0, got False"),
        (None, 0, "expected None, got 0"),
        ({"between": [60, 80]}, Decimal("80.01"), "expected between 60 and 80, got 80.01"),
        ({"min": 60}, None, "expected at least 60, got None"),
        ({"not": "A"}, "A", "expected anything but 'A'"),
        ({"empty": True}, "x", "expected no value, got 'x'"),
        (["a"], ["a", "b"], "expected ['a'], got ['a', 'b']"),
    ],
)
def test_values_that_do_not(expected: object, actual: object, reason: str) -> None:
    assert matches(expected, actual) == reason


# -- broken test files --------------------------------------------------------------------------
def test_a_broken_test_file_is_a_config_problem_with_file_and_line(tmp_path: Path) -> None:
    suite = """\
    cases:
      - name: no steps
        expect: [{values: {grade: A}}]
      - name: update and create at once
        given:
          - customer: {name: 甲}
            as: jia
          - update: jia
            as: yi
      - name: one mistake, one problem
        given:
          - customr: {name: 甲}
            as: jia
          - update: jia
        expect: [{record: jia, values: {grade: A}}]
      - name: users are not records to change
        given: [{update: boss}]
    users: [boss]
    """
    with pytest.raises(ConfigError) as caught:
        load_app(crm_with_tests(tmp_path, broken=suite))
    found = [(p.code, str(p.location), p.path) for p in caught.value.problems]
    assert found == [
        ("FW201", "crm/tests/broken.yaml:3", "tests.broken.cases[0].given"),
        ("FW701", "crm/tests/broken.yaml:10", "tests.broken.cases[1].given[1].as"),
        ("FW701", "crm/tests/broken.yaml:13", "tests.broken.cases[2].given[0].customr"),
        ("FW704", "crm/tests/broken.yaml:18", "tests.broken.cases[3].given[0].update"),
    ]


# -- the command --------------------------------------------------------------------------------
def test_formwork_test_reports_like_pytest_and_exits_0() -> None:
    result = CliRunner().invoke(main, ["test", str(CRM_PACKAGE)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "customer_grading::exactly 80 is A PASSED" in lines
    assert lines[-1].strip("= ").endswith("s") and " passed in " in lines[-1]
    assert "failed" not in lines[-1]


def test_formwork_test_exits_1_on_a_failure(tmp_path: Path) -> None:
    root = crm_with_tests(tmp_path, grading=BIG_CUSTOMER)
    result = CliRunner().invoke(main, ["test", str(root)])
    assert result.exit_code == 1
    assert "grading::a 500万 contract makes an A FAILED" in result.output
    assert "FAILURES" in result.output
    assert "grade: expected 'B', got 'A'" in result.output
    assert "0 passed, 1 failed in" in result.output.splitlines()[-1]


def test_formwork_test_exits_1_with_the_config_report_for_a_broken_package(
    tmp_path: Path,
) -> None:
    root = crm_with_tests(tmp_path, bad=BIG_CUSTOMER.replace("grade: B", "grad: B"))
    result = CliRunner().invoke(main, ["test", str(root)])
    assert result.exit_code == 1
    assert "crm/tests/bad.yaml:11: tests.grading.cases[0].expect[0].values.grad" in result.output
    assert "[FW702]" in result.output
    assert "passed" not in result.output


def test_formwork_test_without_tests_says_so(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["test", str(crm_with_tests(tmp_path))])
    assert result.exit_code == 0
    assert "no test cases" in result.output


def test_a_virtual_field_cannot_be_expected(tmp_path: Path) -> None:
    root = write_package(
        tmp_path,
        {
            "deal": {
                "amount": {"type": "money"},
                "double": {"type": "money", "formula": "amount * 2", "virtual": True},
            }
        },
    )
    (root / "tests").mkdir()
    (root / "tests" / "deals.yaml").write_text(
        "cases:\n"
        "  - name: virtual\n"
        "    given: [{deal: {amount: 1}}]\n"
        "    expect: [{values: {double: 2}}]\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_app(root)
    (problem,) = caught.value.problems
    assert (problem.code, str(problem.location)) == ("FW702", "package/tests/deals.yaml:4")
    assert "not kept" in problem.message

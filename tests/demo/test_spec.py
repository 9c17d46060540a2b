"""demo.yaml: read like every other config file, checked against the app, every problem
reported with file:line, the path inside the file and a hint."""

from __future__ import annotations

from pathlib import Path

import pytest

from formwork.demo import DemoSpec, load_demo_spec
from formwork.demo.values import FakerText, FractionOf, UserLink, Weighted
from formwork.metamodel import App, ConfigError, load_app
from tests.conftest import CRM_PACKAGE


def test_the_reference_spec_loads(crm_spec: DemoSpec) -> None:
    assert crm_spec.locale == "zh_CN"
    assert crm_spec.users["account_manager"] == 8
    customer = crm_spec.entities["customer"]
    assert isinstance(customer.fields["name"].generator, FakerText)
    assert isinstance(customer.fields["max_single_contract"].generator, FractionOf)
    assert customer.fields["account_manager"].generator == UserLink("account_manager")
    assert [p.name for p in customer.profiles] == ["strategic", "key", "standard"]
    assert crm_spec.entities["contact"].belongs_to == "customer"
    assert crm_spec.entities["contact"].count == 3


def test_a_package_without_demo_yaml_gets_the_empty_spec(generic_package: Path) -> None:
    assert load_demo_spec(generic_package, load_app(generic_package)) == DemoSpec()


def test_weights_are_converted_by_the_field_type(generic_package: Path) -> None:
    (generic_package / "demo.yaml").write_text(
        "entities:\n  project:\n    fields:\n      effort: {weights: {'2': 1, '8': 3}}\n",
        encoding="utf-8",
    )
    spec = load_demo_spec(generic_package, load_app(generic_package))
    assert spec.entities["project"].fields["effort"].generator == Weighted((2, 8), (1.0, 3.0))


BROKEN = [
    # (demo.yaml, line, path, words in the message, words in the hint)
    ("entities:\n  projct: {count: 2}\n", 2, "demo.entities.projct", "no entity", "'project'"),
    (
        "entities:\n  project:\n    fields:\n      titel: {faker: word}\n",
        4,
        "demo.entities.project.fields.titel",
        "has no field 'titel'",
        "'title'",
    ),
    (
        "entities:\n  team:\n    fields:\n      name: {faker: compnay}\n",
        4,
        "demo.entities.team.fields.name.faker",
        "no provider 'compnay'",
        "'company'",
    ),
    (
        "entities:\n  team:\n    fields:\n      name: {faker: '{{city}}{{compnay}}'}\n",
        4,
        "demo.entities.team.fields.name.faker",
        "no provider 'compnay'",
        "'company'",
    ),
    (
        "entities:\n  project:\n    fields:\n      budget: {faker: company}\n",
        4,
        "demo.entities.project.fields.budget.faker",
        "`faker` draws text; budget is a money field",
        "generators of each field type",
    ),
    (
        "entities:\n  project:\n    fields:\n      stage: {weights: {open: 1, wonn: 2}}\n",
        4,
        "demo.entities.project.fields.stage.weights.wonn",
        "does not fit stage",
        "'won'",
    ),
    (
        "entities:\n  project:\n    fields:\n      effort: {between: [9, 2]}\n",
        4,
        "demo.entities.project.fields.effort.between",
        "from 9 down to 2",
        "[lowest, highest]",
    ),
    (
        "entities:\n  project:\n    fields:\n      stage:\n        empty: 0.5\n",
        5,
        "demo.entities.project.fields.stage.empty",
        "required, so it is never left empty",
        "Remove",
    ),
    (
        "entities:\n  project:\n    fields:\n      effort: {between: [1, 3], value: 2}\n",
        4,
        "demo.entities.project.fields.effort",
        "2 ways to draw",
        "Keep one",
    ),
    (
        "entities:\n  project:\n    fields:\n      net: {between: [1, 3]}\n",
        4,
        "demo.entities.project.fields.net",
        "cannot be drawn: it is computed",
        "Remove it",
    ),
    (
        "entities:\n  project:\n    fields:\n      team: {role: admin}\n",
        4,
        "demo.entities.project.fields.team.role",
        "team is a link field",
        "belongs_to",
    ),
    (
        "entities:\n  project:\n    belongs_to: stage\n",
        3,
        "demo.entities.project.belongs_to",
        "not a link to another entity",
        "link field",
    ),
    (
        "entities:\n  project:\n    fields:\n"
        "      budget: {fraction_of: discount}\n      discount: {fraction_of: budget}\n",
        3,
        "demo.entities.project.fields",
        "in a cycle",
        "on its own",
    ),
    ("users:\n  admn: 2\n", 2, "demo.users.admn", "no role 'admn'", "Allowed"),
    ("locale: zh_XX\n", 1, "demo.locale", "no locale 'zh_XX'", "Did you mean"),
    (
        "entities:\n  project:\n    cuont: 2\n",
        3,
        "demo.entities.project.cuont",
        "unknown key",
        "'count'",
    ),
    (
        "entities:\n  project:\n    count: many\n",
        3,
        "demo.entities.project.count",
        "expected a number",
        "",
    ),
    ("days: 0\n", 1, "demo.days", "below the minimum 1", "smallest"),
    ("entities:\n  project: {count: [1\n", 3, "demo", "flow sequence", "Close every"),
]


@pytest.mark.parametrize(("text", "line", "path", "message", "hint"), BROKEN)
def test_a_broken_spec_is_reported_at_its_line(
    generic_package: Path, text: str, line: int, path: str, message: str, hint: str
) -> None:
    (generic_package / "demo.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_demo_spec(generic_package, load_app(generic_package))
    lines = caught.value.report().splitlines()
    where = f"package/demo.yaml:{line}: {path}: "
    found = [i for i, text in enumerate(lines) if text.startswith(where) and message in text]
    assert found, "\n".join(lines)
    assert lines[found[0] + 1].startswith("    Hint: ")
    assert hint in lines[found[0] + 1]


def test_every_problem_is_listed_at_once(generic_package: Path) -> None:
    (generic_package / "demo.yaml").write_text(
        "users: {nobody: 1}\nentities:\n  project:\n    fields:\n"
        "      effort: {between: [5, 1]}\n      stage: {weights: {maybe: 1}}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_demo_spec(generic_package, load_app(generic_package))
    assert [p.code for p in caught.value.problems] == ["FW306", "FW406", "FW204"]


def test_the_reference_package_names_its_spec_file() -> None:
    assert (CRM_PACKAGE / "demo.yaml").is_file()


def test_the_example_in_the_docs_is_a_valid_spec(tmp_path: Path, crm_app: App) -> None:
    docs = (CRM_PACKAGE.parents[1] / "docs" / "demo-data.md").read_text(encoding="utf-8")
    example = docs.split("## demo.yaml", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    package = tmp_path / "engineering_crm"
    package.mkdir()
    (package / "demo.yaml").write_text(example, encoding="utf-8")
    spec = load_demo_spec(package, crm_app)
    assert [p.name for p in spec.entities["customer"].profiles] == ["large", "small"]
    assert spec.entities["contact"].belongs_to == "customer"

"""`formwork config diff | export | apply`: readable output, clear errors, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from formwork.cli import main
from formwork.metamodel import load_app
from formwork.runtime import Runtime
from tests.overlay.conftest import A_MIN, GRADING, write

LOWER_A = f"""\
patches:
  - set: {A_MIN}
    value: 70
    base: 80
  - set: entities/account/fields/wechat
    value: {{type: text, label: {{en: WeChat}}}}
"""


@pytest.fixture
def cli(site: Runtime, package: Path, tmp_path: Path):
    """Runs `formwork …` on the test's package and database."""
    for name, size in (("small", 20), ("middle", 75), ("large", 90)):
        site.records.create("account", {"name": name, "size": size})
    database = str(site.db.url)

    def run(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(
            main,
            ["config", *args, "-p", str(package), "-d", database],
            input=input,
            env={"FORMWORK_INSTANCE": str(tmp_path / "instance")},
        )

    return run


def overlay_file(tmp_path: Path, text: str = LOWER_A) -> str:
    path = tmp_path / "overlay.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_migrate_gives_a_fresh_database_the_overlay_tables(tmp_path: Path, package: Path) -> None:
    database = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = CliRunner().invoke(main, ["migrate", "-p", str(package), "-d", database, "--yes"])
    assert result.exit_code == 0, result.output
    tables = sa.inspect(sa.create_engine(database)).get_table_names()
    assert {"fw_config_revision", "fw_config_draft"} <= set(tables)


def test_apply_shows_the_impact_then_publishes(cli, tmp_path: Path, site: Runtime) -> None:
    result = cli("apply", overlay_file(tmp_path), "-m", "lower A", "--yes")
    assert result.exit_code == 0, result.output
    assert "Schema: 1 to add" in result.output
    assert "Grading account_grade: 1 record(s) change grade (B → A: 1)" in result.output
    assert "Published revision 1: 2 change(s) against the previous revision." in result.output
    assert site.site.active().message == "lower A"


def test_apply_asks_first_and_a_no_changes_nothing(cli, tmp_path: Path, site: Runtime) -> None:
    result = cli("apply", overlay_file(tmp_path), input="n\n")
    assert result.exit_code == 0, result.output
    assert "Publish this config?" in result.output and "Nothing was changed." in result.output
    assert site.site.active() is None and site.site.draft_info() is None


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("patches:\n  - set: app/title\n    value: [1\n", "overlay.yaml:4: not valid YAML"),
        ("patches:\n  - remove: widgets/x\n", "overlay.yaml:2: 'widgets/x' must start with one of"),
        ("just text\n", "overlay.yaml:1: an overlay file holds one key"),
    ],
)
def test_apply_refuses_a_bad_file_with_its_line_and_exit_2(
    cli, tmp_path: Path, site: Runtime, text: str, says: str
) -> None:
    result = cli("apply", overlay_file(tmp_path, text), "--yes")
    assert result.exit_code == 2
    assert says in result.output
    assert site.site.active() is None


def test_apply_a_missing_file_exits_2(cli, tmp_path: Path) -> None:
    result = cli("apply", str(tmp_path / "nowhere.yaml"), "--yes")
    assert result.exit_code == 2 and "cannot read" in result.output


def test_apply_an_overlay_that_breaks_the_config_lists_the_problems_and_exits_1(
    cli, tmp_path: Path, site: Runtime
) -> None:
    b_min = A_MIN.replace("grade=A", "grade=B")
    text = f"patches:\n  - set: {b_min}\n    value: 90\n    base: 50\n"
    result = cli("apply", overlay_file(tmp_path, text), "--yes")
    assert result.exit_code == 1
    assert f"site overlay (draft): {b_min}" in result.output and "FW601" in result.output
    assert site.site.active() is None


def test_apply_with_rebase_takes_patches_without_base_as_made_on_this_package(
    cli, tmp_path: Path, site: Runtime
) -> None:
    text = f"patches:\n  - set: {A_MIN}\n    value: 70\n"
    plain = cli("apply", overlay_file(tmp_path, text), input="n\n")
    assert "conflicts, kept but not applied" in plain.output
    rebased = cli("apply", overlay_file(tmp_path, text), "--rebase", "--yes")
    assert rebased.exit_code == 0, rebased.output
    assert "conflicts" not in rebased.output
    assert site.site.active().overlay.patch_at(A_MIN).base == 80


def test_diff_lists_each_change_and_marks_conflicts(cli, tmp_path: Path, package: Path) -> None:
    assert "No revision published" in cli("diff").output
    cli("apply", overlay_file(tmp_path), "-m", "lower A", "--yes")
    result = cli("diff")
    assert result.exit_code == 0, result.output
    assert "by unknown: lower A" in result.output
    assert f"~ {A_MIN}: 80 → 70" in result.output
    assert "~ entities/account/fields/wechat: no value → {'type': 'text'" in result.output
    write(
        package, {"gradings/account_grade.yaml": GRADING.replace("min_score: 80", "min_score: 85")}
    )
    upgraded = cli("diff")
    assert upgraded.exit_code == 0, upgraded.output
    assert (
        f"! {A_MIN}: 85 → 70\n    CONFLICT (not applied): the package now has 85" in upgraded.output
    )
    assert "2 change(s), 1 conflicting with the package (kept, not applied)." in upgraded.output


def test_diff_of_a_site_running_without_some_patches_exits_1(
    cli, tmp_path: Path, package: Path
) -> None:
    cli("apply", overlay_file(tmp_path), "--yes")
    write(
        package, {"gradings/account_grade.yaml": GRADING.replace("min_score: 50", "min_score: 75")}
    )
    result = cli("diff")
    assert result.exit_code == 1
    assert "revision 1 does not fit the package" in result.output
    assert A_MIN in result.output and "FW601" in result.output


def test_export_writes_the_overlay_and_the_merged_package(
    cli, tmp_path: Path, package: Path
) -> None:
    cli("apply", overlay_file(tmp_path), "--yes")
    exported = cli("export")
    assert exported.exit_code == 0
    assert f"  - set: {A_MIN}\n    value: 70\n    base: 80\n" in exported.output
    out = tmp_path / "merged"
    merged = cli("export", "--merged", "--out", str(out))
    assert merged.exit_code == 0, merged.output
    assert sorted(p.name for p in out.rglob("*.yaml")) == [
        "account.yaml",
        "account_grade.yaml",
        "app.yaml",
    ]
    # The consultant's package, folded: it validates and needs no overlay.
    app = load_app(out)
    assert app.gradings["account_grade"].grades[0].min_score == 70
    assert "wechat" in app.entity("account").fields
    assert (out / "app.yaml").read_text() == (package / "app.yaml").read_text()

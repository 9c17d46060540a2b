"""The `formwork` command: exit codes and output a consultant can act on."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from formwork.cli import main
from tests.conftest import CRM_PACKAGE


def test_validate_a_good_package_exits_0() -> None:
    result = CliRunner().invoke(main, ["validate", str(CRM_PACKAGE)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_validate_a_bad_package_lists_every_problem_and_exits_1(tmp_path: Path) -> None:
    (tmp_path / "entities").mkdir()
    (tmp_path / "app.yaml").write_text("app: t\ntitle: T\n", encoding="utf-8")
    (tmp_path / "entities" / "x.yaml").write_text(
        "entity: x\nlabel: X\nfields:\n"
        "  a: {type: txt, label: A}\n"
        "  b: {type: select, label: B, options: []}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "x.yaml:4: entities.x.fields.a.type" in result.output
    assert "x.yaml:5: entities.x.fields.b.options" in result.output
    assert "Traceback" not in result.output


def test_validate_a_missing_folder_exits_1_without_a_traceback(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert "FW101" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_unknown_environment_setting_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["validate"], env={"FORMWORK_PAKAGE": "x"})
    assert result.exit_code == 2
    assert "FORMWORK_PACKAGE" in result.output

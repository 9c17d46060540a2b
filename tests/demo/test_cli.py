"""`formwork demo`: exit codes and output a person can act on."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from formwork.cli import main
from tests.demo.conftest import GENERIC
from tests.packages import write_package

ROLES = {"roles": {"boss": {"label": "Boss"}}}


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def prepared(tmp_path: Path, demo_yaml: str | None = None) -> tuple[str, str]:
    """A migrated database of the generic package (with `demo_yaml` as its demo.yaml)."""
    package = write_package(tmp_path, GENERIC, app=ROLES)
    if demo_yaml is not None:
        (package / "demo.yaml").write_text(demo_yaml, encoding="utf-8")
    database = f"sqlite:///{tmp_path / 'app.db'}"
    migrated = run("migrate", "-p", str(package), "-d", database, "--yes")
    assert migrated.exit_code == 0, migrated.output
    return str(package), database


def test_demo_fills_an_empty_database_once(tmp_path: Path) -> None:
    package, database = prepared(tmp_path, "users: {boss: 1}\n")
    first = run("demo", "-p", package, "-d", database, "--scale", "4", "--seed", "2")
    assert first.exit_code == 0, first.output
    assert "through the record service" in first.output
    assert "4 team, 4 project." in first.output
    assert "boss1\tboss\t-\t" in first.output  # with its one-time password
    again = run("demo", "-p", package, "-d", database, "--scale", "4")
    assert again.exit_code == 1
    assert "already holds records (4 project, 4 team); nothing was written" in again.output
    assert "--append" in again.output
    more = run("demo", "-p", package, "-d", database, "--scale", "3", "--append", "--fast")
    assert more.exit_code == 0, more.output
    assert "in bulk" in more.output and "3 team, 3 project." in more.output
    assert "boss1" not in more.output  # an existing user: no new password to show


def test_a_broken_demo_yaml_is_reported_with_its_line(tmp_path: Path) -> None:
    package, database = prepared(tmp_path, "entities:\n  project:\n    cuont: 3\n")
    result = run("demo", "-p", package, "-d", database)
    assert result.exit_code == 1
    assert "package/demo.yaml:3: demo.entities.project.cuont: unknown key" in result.output
    assert "Traceback" not in result.output


def test_a_refused_record_is_reported_and_nothing_of_its_batch_is_kept(tmp_path: Path) -> None:
    spec = "entities:\n  project:\n    fields:\n      effort: {value: 9}\n"
    package, database = prepared(tmp_path, spec)
    result = run("demo", "-p", package, "-d", database, "--scale", "3")
    assert result.exit_code == 1
    assert "project record #1 was refused — effort: At most 8 days" in result.output
    assert "Written before it: 3 team." in result.output


def test_an_unmigrated_database_is_refused(tmp_path: Path) -> None:
    package = write_package(tmp_path, GENERIC)
    result = run("demo", "-p", str(package), "-d", f"sqlite:///{tmp_path / 'new.db'}")
    assert result.exit_code == 1
    assert "formwork migrate" in result.output

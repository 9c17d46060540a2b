"""The `formwork` command: exit codes and output a consultant can act on."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner, Result

from formwork.cli import main
from tests.conftest import CRM_PACKAGE
from tests.packages import write_package


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


def _migrate(package: Path, database: str, *extra: str) -> Result:
    return CliRunner().invoke(main, ["migrate", "-p", str(package), "-d", database, *extra])


def test_plan_then_migrate_then_nothing_to_do(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'app.db'}"
    package = write_package(tmp_path, {"customer": {"name": {"type": "text"}}})
    planned = CliRunner().invoke(main, ["plan", "-p", str(package), "-d", database])
    assert planned.exit_code == 0, planned.output
    assert "+ table customer" in planned.output
    migrated = _migrate(package, database, "--yes")
    assert migrated.exit_code == 0, migrated.output
    assert "Done." in migrated.output
    again = _migrate(package, database, "--yes")
    assert "up to date" in again.output


def test_migrate_asks_before_changing_anything(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'app.db'}"
    package = write_package(tmp_path, {"customer": {"name": {"type": "text"}}})
    declined = CliRunner().invoke(
        main, ["migrate", "-p", str(package), "-d", database], input="n\n"
    )
    assert declined.exit_code == 0
    assert "Nothing was changed." in declined.output
    assert (
        "+ table customer"
        in CliRunner().invoke(main, ["plan", "-p", str(package), "-d", database]).output
    )


def test_migrate_says_how_many_records_got_the_default_of_a_new_field(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'app.db'}"
    package = write_package(tmp_path, {"customer": {"name": {"type": "text"}}})
    assert _migrate(package, database, "--yes").exit_code == 0
    _insert_customer(database, "name", "Acme")
    fields = {"name": {"type": "text"}, "tier": {"type": "text", "default": "standard"}}
    migrated = _migrate(write_package(tmp_path, {"customer": fields}), database, "--yes")
    assert migrated.exit_code == 0, migrated.output
    assert "Filled in the defaults of new fields: 1 customer record." in migrated.output
    engine = sa.create_engine(database)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT tier FROM customer")).scalar_one() == "standard"
    engine.dispose()


def test_a_refused_change_exits_1_and_changes_nothing(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'app.db'}"
    package = write_package(tmp_path, {"customer": {"level": {"type": "text"}}})
    assert _migrate(package, database, "--yes").exit_code == 0
    _insert_customer(database, "level", "high")
    package = write_package(tmp_path, {"customer": {"level": {"type": "integer"}}})
    planned = CliRunner().invoke(main, ["plan", "-p", str(package), "-d", database])
    assert planned.exit_code == 1
    assert "! refused" in planned.output
    refused = _migrate(package, database, "--yes")
    assert refused.exit_code == 1
    assert "Nothing was changed" in refused.output


def test_regrade_and_tick(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'crm.db'}"
    env = {"FORMWORK_INSTANCE": str(tmp_path)}
    assert _migrate(CRM_PACKAGE, database, "--yes").exit_code == 0
    from formwork.runtime import open_runtime

    runtime = open_runtime({"package": CRM_PACKAGE, "database_url": database, "instance": tmp_path})
    for name in ("甲", "乙"):
        runtime.records.create("customer", {"name": name, "customer_type": "开发商"})
    with runtime.db.write() as conn:
        conn.execute(runtime.tables["customer"].update().values(grade=None))
    runtime.close()
    args = ["-p", str(CRM_PACKAGE), "-d", database]
    done = CliRunner().invoke(main, ["regrade", "customer", *args], env=env)
    assert done.exit_code == 0, done.output
    assert "2 records, 2 changed (—→C: 2)" in done.output
    again = CliRunner().invoke(main, ["regrade", "customer", *args], env=env)
    assert "0 changed" in again.output
    assert CliRunner().invoke(main, ["regrade", "nothing", *args], env=env).exit_code == 2
    ticked = CliRunner().invoke(main, ["tick", *args], env=env)
    assert ticked.exit_code == 0
    assert "manual grades expired: 0" in ticked.output
    assert "values that read the date: 0 records moved on" in ticked.output
    later = CliRunner().invoke(main, ["tick", *args], env=env)
    assert "values that read the date: refreshed already today" in later.output


def test_recompute(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'crm.db'}"
    assert _migrate(CRM_PACKAGE, database, "--yes").exit_code == 0
    args = ["-p", str(CRM_PACKAGE), "-d", database]
    env = {"FORMWORK_INSTANCE": str(tmp_path)}
    done = CliRunner().invoke(main, ["recompute", "customer", *args], env=env)
    assert done.exit_code == 0, done.output
    assert "customer: 0 records, 0 changed" in done.output
    assert CliRunner().invoke(main, ["recompute", "nothing", *args], env=env).exit_code == 2


def test_jobs_refuse_a_database_that_does_not_match_the_config(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'empty.db'}"
    for command in (["tick"], ["regrade", "customer"], ["recompute", "customer"]):
        result = CliRunner().invoke(
            main,
            [*command, "-p", str(CRM_PACKAGE), "-d", database],
            env={"FORMWORK_INSTANCE": str(tmp_path)},
        )
        assert result.exit_code == 1, command
        assert "formwork migrate" in result.output
        assert "Traceback" not in result.output


def test_serve_refuses_a_database_that_does_not_match_the_config(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'empty.db'}"
    result = CliRunner().invoke(
        main,
        ["serve", "-p", str(CRM_PACKAGE), "-d", database],
        env={"FORMWORK_INSTANCE": str(tmp_path)},
    )
    assert result.exit_code == 1
    assert "formwork migrate" in result.output


def _insert_customer(database: str, column: str, value: str) -> None:
    """A customer row written straight into the database, past the record service."""
    engine = sa.create_engine(database)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                f"INSERT INTO customer (created_at, updated_at, version, {column}) "
                "VALUES ('2026-01-01', '2026-01-01', 1, :value)"
            ),
            {"value": value},
        )
    engine.dispose()

"""`formwork user create` makes the first admin; `formwork user list` shows who can sign in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from formwork import create_app
from formwork.app import runtime_of
from formwork.auth import UserStore
from formwork.cli import main
from formwork.runtime import Runtime, open_runtime
from formwork.store.schema_sync import apply_sync
from tests.auth.conftest import PASSWORD
from tests.conftest import CRM_PACKAGE
from tests.pages import Page


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    runtime = open_runtime({"instance": tmp_path, "package": CRM_PACKAGE, "database_url": url})
    apply_sync(runtime.db, runtime.model, runtime.tables, backup_dir=tmp_path)
    runtime.close()
    return url


def _user(tmp_path: Path, database: str, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(
        main,
        ["user", *args, "-p", str(CRM_PACKAGE), "-d", database],
        input=stdin,
        env={"FORMWORK_INSTANCE": str(tmp_path)},
    )


@pytest.fixture
def store_of() -> Iterator[Callable[[Path, str], UserStore]]:
    """The user store of a database, as a fresh process would open it."""
    runtimes: list[Runtime] = []

    def open_store(tmp_path: Path, database: str) -> UserStore:
        overrides = {"instance": tmp_path, "package": CRM_PACKAGE, "database_url": database}
        runtimes.append(open_runtime(overrides))
        return UserStore.of(runtimes[-1])

    yield open_store
    for runtime in runtimes:
        runtime.close()


def test_create_the_first_admin_with_a_prompted_password(
    tmp_path: Path, database: str, store_of: Callable[[Path, str], UserStore]
) -> None:
    result = _user(
        tmp_path,
        database,
        "create",
        "Root",
        "--role",
        "admin",
        "--display-name",
        "管理员",
        stdin=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created user root" in result.output
    assert PASSWORD not in result.output, "the password is not echoed"
    store = store_of(tmp_path, database)
    root = store.authenticate("root", PASSWORD)
    assert root is not None and root.roles == ("admin",) and root.display_name == "管理员"
    listed = _user(tmp_path, database, "list")
    assert listed.exit_code == 0
    assert listed.output.split("\t") == ["root", "管理员", "admin", "-", "active\n"]


def test_the_password_can_come_from_stdin(
    tmp_path: Path, database: str, store_of: Callable[[Path, str], UserStore]
) -> None:
    result = _user(
        tmp_path,
        database,
        "create",
        "ops",
        "--role",
        "admin",
        "--role",
        "finance",
        "--email",
        "ops@example.com",
        "--team",
        "east",
        "--password-stdin",
        stdin=f"{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    ops = store_of(tmp_path, database).authenticate("ops", PASSWORD)
    assert ops is not None and ops.roles == ("admin", "finance") and ops.team == "east"
    assert ops.actor().team == "east"


def test_mismatched_confirmation_asks_again(tmp_path: Path, database: str) -> None:
    result = _user(
        tmp_path,
        database,
        "create",
        "root",
        "--role",
        "admin",
        stdin=f"{PASSWORD}\nsomething else!\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["root", "--role", "wizard"], PASSWORD, "roles: Unknown role; the app's roles are: admin"),
        (["root", "--role", "admin"], "short", "password: At least 10 characters."),
        (["no way", "--role", "admin"], PASSWORD, "username: 2-80 characters"),
    ],
)
def test_bad_input_exits_1_and_creates_nobody(
    tmp_path: Path,
    database: str,
    store_of: Callable[[Path, str], UserStore],
    args: list[str],
    stdin: str,
    message: str,
) -> None:
    result = _user(tmp_path, database, "create", *args, "--password-stdin", stdin=stdin + "\n")
    assert result.exit_code == 1
    assert message in result.output
    assert store_of(tmp_path, database).list() == []


def test_an_unmigrated_database_gets_a_hint(tmp_path: Path) -> None:
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    result = _user(tmp_path, empty, "list")
    assert result.exit_code == 1
    assert "formwork migrate" in result.output


def test_the_sign_in_page_says_how_to_create_the_first_admin(tmp_path: Path) -> None:
    app = create_app({"instance": tmp_path, "package": CRM_PACKAGE})
    runtime = runtime_of(app)
    apply_sync(runtime.db, runtime.model, runtime.tables, backup_dir=tmp_path)
    try:
        hint = Page(app.test_client().get("/login").get_data(as_text=True)).text("no-users")
        assert "formwork user create NAME --role admin" in hint
        app.extensions["formwork_users"].create("root", "", PASSWORD, ["admin"])
        assert "no-users" not in Page(app.test_client().get("/login").get_data(as_text=True)).ids
    finally:
        runtime.close()


def test_a_generated_password_is_printed_once_and_works(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from formwork.cli import main
    from formwork.runtime import open_runtime
    from formwork.store.schema_sync import apply_sync
    from tests.conftest import CRM_PACKAGE

    database = f"sqlite:///{tmp_path / 'app.db'}"
    runtime = open_runtime({"package": CRM_PACKAGE, "database_url": database, "instance": tmp_path})
    apply_sync(runtime.db, runtime.model, runtime.tables, backup_dir=tmp_path)
    runtime.close()
    result = CliRunner().invoke(
        main,
        [
            "user",
            "create",
            "admin",
            "--role",
            "admin",
            "--generate-password",
            "-p",
            str(CRM_PACKAGE),
            "-d",
            database,
        ],
        env={"FORMWORK_INSTANCE": str(tmp_path)},
    )
    assert result.exit_code == 0, result.output
    password = result.output.strip().splitlines()[-1].removeprefix("Password: ")
    assert len(password) >= 16
    runtime = open_runtime({"package": CRM_PACKAGE, "database_url": database, "instance": tmp_path})
    assert UserStore.of(runtime).authenticate("admin", password) is not None
    runtime.close()

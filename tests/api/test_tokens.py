"""API tokens: made at random and shown once, kept only as a digest, revocable; managed on
the user's own page and with `formwork token`; created by schema sync like every table."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from flask import Flask

from formwork.auth import UserStore
from formwork.cli import main
from formwork.runtime import open_runtime
from formwork.store.schema_sync import apply_sync, plan_sync
from formwork.store.tokens import TOKEN_TABLE, TokenError, TokenStore
from tests.app_fixtures import PASSWORD
from tests.conftest import CRM_PACKAGE
from tests.views.conftest import SignedIn

# -- the store -----------------------------------------------------------------------------


def test_a_token_is_random_and_only_its_digest_is_kept(
    users: UserStore, tokens: TokenStore
) -> None:
    user = users.create("ann", "Ann", PASSWORD, ["finance"])
    first, secret = tokens.create(user.id, "report")
    _, other = tokens.create(user.id, "report")
    assert secret.startswith("fwk_") and len(secret) > 40 and secret != other
    with tokens.db.read() as conn:
        row = conn.execute(sa.select(tokens.table).where(tokens.table.c.id == first.id)).one()
    assert row.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in [str(v) for v in row]
    assert first.hint == secret[:10] and first.name == "report"
    assert tokens.verify(secret) == tokens.get(first.id)


def test_using_a_token_notes_when(users: UserStore, tokens: TokenStore) -> None:
    user = users.create("ann", "Ann", PASSWORD, ["finance"])
    made, secret = tokens.create(user.id, "report")
    assert made.last_used_at is None
    tokens.verify(secret)
    used = tokens.get(made.id)
    assert used is not None and used.last_used_at is not None


@pytest.mark.parametrize(
    ("name", "expires_in", "field"),
    [
        ("", None, "name"),
        ("   ", None, "name"),
        ("x" * 101, None, "name"),
        ("ok", -1, "expires_at"),
    ],
)
def test_a_bad_token_request_is_refused(
    users: UserStore, tokens: TokenStore, name: str, expires_in: int | None, field: str
) -> None:
    user = users.create("ann", "Ann", PASSWORD, ["finance"])
    expires = None if expires_in is None else dt.datetime.now(dt.UTC) + dt.timedelta(expires_in)
    with pytest.raises(TokenError) as refused:
        tokens.create(user.id, name, expires)
    assert set(refused.value.problems) == {field}
    assert tokens.list(user.id) == []


def test_a_user_may_revoke_only_their_own_tokens(users: UserStore, tokens: TokenStore) -> None:
    ann = users.create("ann", "Ann", PASSWORD, ["finance"])
    bob = users.create("bob", "Bob", PASSWORD, ["finance"])
    made, secret = tokens.create(ann.id, "report")
    with pytest.raises(TokenError):
        tokens.revoke(made.id, user_id=bob.id)
    assert tokens.verify(secret) is not None
    revoked = tokens.revoke(made.id, user_id=ann.id)
    assert revoked.revoked_at is not None
    assert tokens.revoke(made.id).revoked_at == revoked.revoked_at  # the first time stays
    assert tokens.verify(secret) is None


def test_schema_sync_adds_the_token_table_to_an_existing_database(tmp_path: Path) -> None:
    runtime = open_runtime({"instance": tmp_path, "package": CRM_PACKAGE})
    apply_sync(runtime.db, runtime.model, runtime.tables, backup_dir=tmp_path)
    with runtime.db.write() as conn:  # a database from before tokens existed
        conn.execute(sa.text(f"DROP TABLE {TOKEN_TABLE}"))
    plan = plan_sync(runtime.db, runtime.model, runtime.tables)
    assert [op.describe() for op in plan.operations if TOKEN_TABLE in op.describe()] == [
        f"+ table {TOKEN_TABLE}",
        *[op.describe() for op in plan.operations if "ix_fw_api_token" in op.describe()],
    ]
    apply_sync(runtime.db, runtime.model, runtime.tables, backup_dir=tmp_path)
    assert sa.inspect(runtime.db.engine).has_table(TOKEN_TABLE)
    assert plan_sync(runtime.db, runtime.model, runtime.tables).is_empty
    runtime.close()


# -- the command line ----------------------------------------------------------------------


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    runtime = open_runtime({"instance": tmp_path, "package": CRM_PACKAGE, "database_url": url})
    apply_sync(runtime.db, runtime.model, runtime.tables, backup_dir=tmp_path)
    UserStore.of(runtime).create("ann", "Ann", PASSWORD, ["finance"])
    runtime.close()
    return url


def cli(tmp_path: Path, database: str, *args: str) -> Result:
    return CliRunner().invoke(
        main,
        ["token", *args, "-p", str(CRM_PACKAGE), "-d", database],
        env={"FORMWORK_INSTANCE": str(tmp_path), "FORMWORK_TIMEZONE": "Asia/Shanghai"},
    )


def test_the_cli_makes_lists_and_revokes_tokens(tmp_path: Path, database: str) -> None:
    made = cli(tmp_path, database, "create", "ann", "--name", "nightly", "--expires", "2099-12-31")
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip().splitlines()[-1]
    assert secret.startswith("fwk_")
    runtime = open_runtime({"instance": tmp_path, "package": CRM_PACKAGE, "database_url": database})
    store = TokenStore(runtime.db, runtime.tables.metadata)
    token = store.verify(secret)
    assert token is not None and token.name == "nightly"
    # Valid through the last day where the app is (UTC+8): until 16:00 UTC on that day.
    assert token.expires_at == dt.datetime(2099, 12, 31, 16, tzinfo=dt.UTC)

    listed = cli(tmp_path, database, "list", "ann")
    assert listed.exit_code == 0
    assert listed.output.split("\t")[:4] == [str(token.id), "ann", "nightly", token.hint + "…"]
    assert secret not in listed.output

    assert cli(tmp_path, database, "revoke", str(token.id)).exit_code == 0
    assert store.verify(secret) is None
    assert "revoked" in cli(tmp_path, database, "list").output
    runtime.close()


@pytest.mark.parametrize(
    "args",
    [
        ("create", "nobody"),
        ("create", "ann", "--expires", "tomorrow"),
        ("create", "ann", "--expires", "2000-01-01"),
        ("create", "ann", "--name", " "),
        ("list", "nobody"),
        ("revoke", "999"),
        ("revoke", "one"),
    ],
)
def test_the_cli_refuses_bad_requests(tmp_path: Path, database: str, args: tuple[str, ...]) -> None:
    result = cli(tmp_path, database, *args)
    assert result.exit_code != 0
    assert "error" in result.output.lower() or "invalid" in result.output.lower()


# -- the page ------------------------------------------------------------------------------


def test_a_user_makes_a_token_and_sees_it_once(
    as_role: Callable[..., SignedIn], tokens: TokenStore, app: Flask
) -> None:
    client = as_role("finance")
    answer = client.post_form("/account/tokens", {"name": "Excel refresh"})
    assert answer.status_code == 201
    html = answer.get_data(as_text=True)
    [made] = tokens.list(client.user.id)
    assert made.name == "Excel refresh"
    start = html.index('id="new-token-secret"')
    secret = html[start:].split('value="', 1)[1].split('"', 1)[0]
    assert tokens.verify(secret) is not None
    api = app.test_client().get("/api/v1/", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200
    again = client.get("/account/tokens").get_data(as_text=True)
    assert secret not in again and made.hint in again and "Excel refresh" in again


def test_the_page_shows_problems_next_to_their_fields(as_role: Callable[..., SignedIn]) -> None:
    client = as_role("finance")
    answer = client.post_form("/account/tokens", {"name": "", "expires_on": "someday"})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert 'id="expires_on-error"' in html and 'aria-describedby="expires_on-error"' in html
    answer = client.post_form("/account/tokens", {"name": ""})
    assert 'id="name-error"' in answer.get_data(as_text=True)


def test_a_user_revokes_own_tokens_but_not_others(
    as_role: Callable[..., SignedIn], tokens: TokenStore, users: UserStore
) -> None:
    client = as_role("finance")
    mine, secret = tokens.create(client.user.id, "mine")
    other = users.create("zed", "Zed", PASSWORD, ["finance"])
    theirs, their_secret = tokens.create(other.id, "theirs")
    assert client.post_form(f"/account/tokens/{theirs.id}/revoke").status_code == 404
    assert tokens.verify(their_secret) is not None
    answer = client.post_form(f"/account/tokens/{mine.id}/revoke")
    assert answer.status_code == 303
    assert tokens.verify(secret) is None
    assert "theirs" not in client.get("/account/tokens").get_data(as_text=True)


def test_the_page_needs_a_session_and_its_forms_need_csrf(
    app: Flask, as_role: Callable[..., SignedIn]
) -> None:
    anonymous = app.test_client().get("/account/tokens")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    client = as_role("finance")
    assert client.post("/account/tokens", data={"name": "x"}).status_code in (400, 403)

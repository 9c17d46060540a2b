"""The user store validates every change and refuses it whole; plain passwords are never kept."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from formwork.auth import UserError, UserStore
from formwork.store.actor import Actor
from tests.auth.conftest import PASSWORD


def _rows(store: UserStore) -> list[dict[str, Any]]:
    with store.db.read() as conn:
        return [dict(r) for r in conn.execute(sa.select(store.table)).mappings()]


def test_create_keeps_a_lowercase_username_and_only_a_hash(store: UserStore) -> None:
    user = store.create("  Li.Wei ", "李伟", PASSWORD, ["account_manager"], "li@example.com")
    assert (user.username, user.display_name, user.roles) == (
        "li.wei",
        "李伟",
        ("account_manager",),
    )
    assert user.active and user.email == "li@example.com"
    [row] = _rows(store)
    assert all(PASSWORD not in str(value) for value in row.values())
    assert row["password_hash"].startswith("$argon2id$")
    assert store.by_username("LI.WEI") == user
    assert store.get(user.id) == user


def test_display_name_defaults_to_the_username(store: UserStore) -> None:
    assert store.create("zhang", "", PASSWORD).display_name == "zhang"


BAD_INPUTS = [
    ({"username": "a"}, "username", "username_format"),
    ({"username": "has space"}, "username", "username_format"),
    ({"username": "-dash"}, "username", "username_format"),
    ({"username": "x" * 81}, "username", "username_format"),
    ({"username": "EXISTING"}, "username", "username_taken"),
    ({"password": "short"}, "password", "password_too_short"),
    ({"password": "p" * 1025}, "password", "password_too_long"),
    ({"username": "longusername", "password": "LongUsername"}, "password", "password_is_username"),
    ({"roles": ["admin", "wizard"]}, "roles", "role_unknown"),
    ({"email": "not-an-email"}, "email", "email_format"),
    ({"display_name": "名" * 201}, "display_name", "display_name_too_long"),
    ({"team": "t" * 65}, "team", "team_too_long"),
]


@pytest.mark.parametrize(("change", "field", "code"), BAD_INPUTS)
def test_bad_input_is_refused_and_writes_nothing(
    store: UserStore, change: dict[str, Any], field: str, code: str
) -> None:
    store.create("existing", "", PASSWORD, ["admin"])
    before = _rows(store)
    values: dict[str, Any] = {
        "username": "newcomer",
        "display_name": "",
        "password": PASSWORD,
        "roles": ["finance"],
        "email": None,
        **change,
    }
    with pytest.raises(UserError) as refused:
        store.create(**values)
    assert refused.value.problems == {field: code}
    assert field in str(refused.value)
    assert _rows(store) == before


def test_every_problem_is_reported_at_once(store: UserStore) -> None:
    with pytest.raises(UserError) as refused:
        store.create("?", "", "short", ["nope"], "bad")
    assert set(refused.value.problems) == {"username", "password", "roles", "email"}
    assert "the app's roles are: admin, account_manager" in refused.value.message("roles")


def test_update_changes_roles_and_status(store: UserStore) -> None:
    store.create("boss", "", PASSWORD, ["admin"])
    user = store.create("li", "", PASSWORD, ["finance"])
    changed = store.update(user.id, roles=["finance", "executive"], active=False)
    assert changed.roles == ("finance", "executive") and not changed.active
    assert store.authenticate("li", PASSWORD) is None, "an inactive user cannot sign in"


def test_update_refuses_unknown_roles_and_writes_nothing(store: UserStore) -> None:
    user = store.create("li", "", PASSWORD, ["finance"])
    before = _rows(store)
    with pytest.raises(UserError, match="roles"):
        store.update(user.id, roles=["finance", "wizard"], active=False)
    assert _rows(store) == before


@pytest.mark.parametrize("change", [{"roles": ["finance"]}, {"active": False}])
def test_the_last_active_admin_cannot_be_removed(store: UserStore, change: dict) -> None:
    admin = store.create("root", "", PASSWORD, ["admin"])
    old = store.create("old", "", PASSWORD, ["admin"])
    store.update(old.id, active=False)
    with pytest.raises(UserError) as refused:
        store.update(admin.id, **change)
    assert refused.value.problems == {"roles": "last_admin"}
    second = store.create("second", "", PASSWORD, ["admin"])
    assert store.update(admin.id, **change) != admin, "allowed once another admin exists"
    assert second.is_admin


def test_set_password_checks_the_rules_and_replaces_the_hash(store: UserStore) -> None:
    user = store.create("li", "", PASSWORD, [])
    with pytest.raises(UserError, match="password"):
        store.set_password(user.id, "short")
    changed = store.set_password(user.id, "another long password")
    assert changed.password_hash != user.password_hash
    assert store.authenticate("li", PASSWORD) is None
    assert store.authenticate("li", "another long password") == changed


def test_unknown_users_are_refused(store: UserStore) -> None:
    assert store.get(999) is None and store.by_username("ghost") is None
    assert store.authenticate("ghost", PASSWORD) is None
    with pytest.raises(UserError, match="No such user"):
        store.set_password(999, "another long password")
    with pytest.raises(UserError, match="No such user"):
        store.update(999, active=False)


def test_a_user_acts_as_an_actor_with_their_roles_and_team(store: UserStore) -> None:
    user = store.create("li", "", PASSWORD, ["finance", "executive"], team=" east ")
    assert user.actor() == Actor(user.id, "li", ("finance", "executive"), team="east")
    moved = store.update(user.id, team="west")
    assert moved.actor().team == "west"
    assert store.update(user.id, team="").team is None

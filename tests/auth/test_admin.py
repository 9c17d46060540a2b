"""The user admin pages: for admins only; create, edit, reset a password; errors by the field."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from formwork.auth import User, UserStore
from tests.auth.conftest import PASSWORD
from tests.pages import Page, csrf_token, page, sign_in

PAGES = ["/admin/users", "/admin/users/new", "/admin/users/1"]
POSTS = ["/admin/users/new", "/admin/users/1", "/admin/users/1/password"]


@pytest.mark.parametrize("role", ["finance", "executive", None])
def test_admin_pages_are_forbidden_to_other_roles(
    client: FlaskClient, login_as: Callable[..., User], store: UserStore, role: str | None
) -> None:
    login_as(role)
    before = store.list()
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 403, path
        assert Page(response.get_data(as_text=True)).text("page-title").startswith("无权访问")
    token = csrf_token(client, "/")
    for path in POSTS:
        data = {"csrf_token": token, "roles": "admin", "password": "a brand new password"}
        assert client.post(path, data=data).status_code == 403, path
    assert store.list() == before


def test_admin_pages_send_signed_out_visitors_to_sign_in(client: FlaskClient) -> None:
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 302
        assert response.location.startswith("/login?next=")


def _post(client: FlaskClient, path: str, data: dict) -> TestResponse:
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/admin/users/new")})


def test_an_admin_creates_a_user_who_can_then_sign_in(
    app: Flask, client: FlaskClient, login_as: Callable[..., User], store: UserStore
) -> None:
    login_as("admin")
    response = client.post(
        "/admin/users/new",
        data={
            "username": "Wang",
            "display_name": "王芳",
            "email": "wang@example.com",
            "password": PASSWORD,
            "roles": ["finance", "executive"],
            "csrf_token": csrf_token(client, "/admin/users/new"),
        },
    )
    assert response.status_code == 303
    wang = store.by_username("wang")
    assert wang is not None and wang.roles == ("finance", "executive")
    assert response.location == f"/admin/users/{wang.id}"
    listing = client.get("/admin/users").get_data(as_text=True)
    assert "王芳" in listing and "财务" in listing
    assert sign_in(app.test_client(), "wang", PASSWORD).status_code == 303


def test_refused_input_is_shown_next_to_its_field(
    client: FlaskClient, login_as: Callable[..., User], store: UserStore
) -> None:
    login_as("admin")
    before = store.list()
    response = client.post(
        "/admin/users/new",
        data={
            "username": "a b",
            "display_name": "Keep me",
            "password": "short",
            "roles": ["finance"],
            "csrf_token": csrf_token(client, "/admin/users/new"),
        },
    )
    assert response.status_code == 422
    shown = Page(response.get_data(as_text=True))
    assert shown.text("username-error").startswith("用户名为 2–80 个字符")
    assert shown.text("password-error").startswith("密码至少 10 个字符")
    assert "roles-error" not in shown.ids
    assert shown.form("/admin/users/new").fields["display_name"] == "Keep me"
    assert store.list() == before


def test_an_admin_changes_roles_and_deactivates_a_user(
    client: FlaskClient, login_as: Callable[..., User], store: UserStore
) -> None:
    login_as("admin")
    li = store.create("li", "李伟", PASSWORD, ["finance"])
    form = page(client, f"/admin/users/{li.id}").form(f"/admin/users/{li.id}")
    assert form.fields["display_name"] == "李伟"
    response = client.post(
        f"/admin/users/{li.id}",
        data={
            "csrf_token": form.fields["csrf_token"],
            "display_name": "李伟",
            "email": "",
            "team": "华东",
            "roles": ["commercial"],
        },
    )
    assert response.status_code == 303
    changed = store.get(li.id)
    assert changed is not None and changed.roles == ("commercial",) and not changed.active
    assert changed.team == "华东"
    assert "已保存" in client.get(response.location).get_data(as_text=True)


def test_an_admin_cannot_remove_the_last_admin(
    client: FlaskClient, login_as: Callable[..., User], store: UserStore
) -> None:
    me = login_as("admin")
    response = _post(client, f"/admin/users/{me.id}", {"roles": ["finance"], "active": "1"})
    assert response.status_code == 422
    shown = Page(response.get_data(as_text=True))
    assert shown.text("roles-error").startswith("不能移除最后一位")
    assert store.get(me.id).roles == ("admin",)  # type: ignore[union-attr]


def test_a_password_reset_ends_the_users_sessions_but_not_the_admins(
    app: Flask, client: FlaskClient, login_as: Callable[..., User], store: UserStore
) -> None:
    me = login_as("admin")
    store.create("li", "", PASSWORD, ["finance"])
    li_client = app.test_client()
    sign_in(li_client, "li", PASSWORD)
    li = store.by_username("li")
    assert li is not None
    refused = _post(client, f"/admin/users/{li.id}/password", {"password": "short"})
    assert refused.status_code == 422
    done = _post(client, f"/admin/users/{li.id}/password", {"password": "a brand new password"})
    assert done.status_code == 303
    assert li_client.get("/").status_code == 302, "li's session has ended"
    assert sign_in(app.test_client(), "li", "a brand new password").status_code == 303
    own = _post(client, f"/admin/users/{me.id}/password", {"password": "my own new password"})
    assert own.status_code == 303
    assert client.get("/admin/users").status_code == 200, "the admin stays signed in"


def test_an_unknown_user_is_404(client: FlaskClient, login_as: Callable[..., User]) -> None:
    login_as("admin")
    assert client.get("/admin/users/999").status_code == 404

"""Sign-in and sign-out: sessions, CSRF, the rate limit, redirects and security headers."""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from formwork.auth import User, UserStore, current_actor
from formwork.store.actor import Actor
from tests.auth.conftest import PASSWORD, AppFactory
from tests.pages import Page, csrf_token, page, sign_in


def test_signing_in_shows_the_user_on_the_home_page(client: FlaskClient, store: UserStore) -> None:
    store.create("li", "李伟", PASSWORD, ["finance"])
    response = sign_in(client, "LI", PASSWORD)
    assert response.status_code == 303 and response.location == "/"
    home = page(client, "/")
    assert home.text("signed-in-user").startswith("李伟")
    assert home.form("/logout").method == "post"
    assert "csrf_token" in home.form("/logout").fields


@pytest.mark.parametrize(("username", "password"), [("li", "wrong password!"), ("ghost", PASSWORD)])
def test_a_failed_sign_in_says_the_same_whatever_was_wrong(
    client: FlaskClient, store: UserStore, username: str, password: str
) -> None:
    store.create("li", "", PASSWORD, [])
    response = sign_in(client, username, password)
    assert response.status_code == 200
    failed = Page(response.get_data(as_text=True))
    assert failed.text("login-error") == "用户名或密码不正确。"
    assert failed.form("/login").fields["username"] == username
    assert failed.form("/login").fields["password"] == "", "the password is never sent back"
    assert client.get("/").status_code == 302, "still signed out"


def test_an_inactive_user_cannot_sign_in(client: FlaskClient, store: UserStore) -> None:
    store.create("boss", "", PASSWORD, ["admin"])
    user = store.create("li", "", PASSWORD, [])
    store.update(user.id, active=False)
    assert Page(sign_in(client, "li", PASSWORD).get_data(as_text=True)).ids >= {"login-error"}


def test_sign_out_is_post_only(client: FlaskClient, login_as: Callable[..., User]) -> None:
    login_as("finance")
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200, "a GET changed nothing"
    token = page(client, "/").form("/logout").fields["csrf_token"]
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303 and response.location == "/login"
    assert client.get("/").status_code == 302


def test_pages_need_a_signed_in_user(client: FlaskClient) -> None:
    response = client.get("/admin/users?x=1")
    assert response.status_code == 302
    location = urlsplit(response.location)
    assert location.path == "/login"
    assert parse_qs(location.query) == {"next": ["/admin/users?x=1"]}
    assert client.get("/").location == "/login"
    assert client.get("/healthz").status_code == 200
    assert client.get("/login").status_code == 200


def test_sign_in_returns_to_the_page_asked_for(client: FlaskClient, store: UserStore) -> None:
    store.create("li", "", PASSWORD, [])
    assert sign_in(client, "li", PASSWORD, next_url="/admin/users").location == "/admin/users"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/\x00x",
    ],
)
def test_next_never_leaves_the_site(client: FlaskClient, store: UserStore, target: str) -> None:
    store.create("li", "", PASSWORD, [])
    assert sign_in(client, "li", PASSWORD, next_url=target).location == "/"


def test_the_login_form_keeps_only_a_local_next(client: FlaskClient) -> None:
    fields = page(client, "/login?next=https://evil.example/").form("/login").fields
    assert fields["next"] == "/"


def test_state_changing_requests_need_a_csrf_token(
    client: FlaskClient, store: UserStore, login_as: Callable[..., User]
) -> None:
    store.create("li", "", PASSWORD, [])
    refused = client.post("/login", data={"username": "li", "password": PASSWORD})
    assert refused.status_code == 400
    assert "页面已过期" in Page(refused.get_data(as_text=True)).text("page-title")
    login_as("admin")
    assert client.post("/logout").status_code == 400
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    new_user = {"username": "wang", "password": PASSWORD, "roles": "finance"}
    assert client.post("/admin/users/new", data=new_user).status_code == 400
    assert store.by_username("wang") is None
    assert client.get("/").status_code == 200, "still signed in"


def test_sign_in_is_rate_limited_per_client(make_app: AppFactory) -> None:
    app = make_app(login_rate_limit="3 per minute")
    client = app.test_client()
    token = csrf_token(client)
    attempt = {"username": "ghost", "password": "wrong password", "csrf_token": token}
    codes = [client.post("/login", data=attempt).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.get("/login").status_code == 200, "showing the form is not limited"
    other = app.test_client()
    elsewhere = other.post(
        "/login",
        data={**attempt, "csrf_token": csrf_token(other)},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert elsewhere.status_code == 200, "another address has its own count"


def test_behind_a_proxy_the_limit_counts_the_forwarded_address(make_app: AppFactory) -> None:
    app = make_app(login_rate_limit="1 per minute", proxies=1)
    client = app.test_client()
    attempt = {"username": "ghost", "password": "wrong password", "csrf_token": csrf_token(client)}

    def post_from(address: str) -> int:
        headers = {"X-Forwarded-For": address}
        return client.post("/login", data=attempt, headers=headers).status_code

    assert [post_from("203.0.113.1"), post_from("203.0.113.1")] == [200, 429]
    assert post_from("203.0.113.2") == 200


def test_the_default_rate_limit_is_ten_a_minute(client: FlaskClient) -> None:
    attempt = {"username": "ghost", "password": "wrong password", "csrf_token": csrf_token(client)}
    codes = [client.post("/login", data=attempt).status_code for _ in range(11)]
    assert codes == [200] * 10 + [429]


def test_a_password_change_ends_the_users_other_sessions(app: Flask, store: UserStore) -> None:
    user = store.create("li", "", PASSWORD, [])
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, "li", PASSWORD)
    sign_in(phone, "li", PASSWORD)
    store.set_password(user.id, "a brand new password")
    assert laptop.get("/").status_code == 302
    assert phone.get("/").status_code == 302
    assert sign_in(phone, "li", "a brand new password").status_code == 303


def test_deactivating_a_user_ends_their_sessions(app: Flask, store: UserStore) -> None:
    store.create("boss", "", PASSWORD, ["admin"])
    user = store.create("li", "", PASSWORD, [])
    client = app.test_client()
    sign_in(client, "li", PASSWORD)
    store.update(user.id, active=False)
    assert client.get("/").status_code == 302


def test_role_changes_apply_at_once(client: FlaskClient, store: UserStore) -> None:
    store.create("boss", "", PASSWORD, ["admin"])
    user = store.create("li", "", PASSWORD, ["finance"])
    sign_in(client, "li", PASSWORD)
    assert client.get("/admin/users").status_code == 403
    store.update(user.id, roles=["admin"])
    assert client.get("/admin/users").status_code == 200


def test_the_current_actor_is_the_signed_in_user(
    app: Flask, client: FlaskClient, store: UserStore
) -> None:
    user = store.create("li", "", PASSWORD, ["finance"])
    sign_in(client, "li", PASSWORD)
    with client:
        client.get("/")
        assert current_actor() == Actor(user.id, "li", ("finance",))
    with app.test_request_context("/"):
        assert current_actor() is None


def test_the_session_cookie_is_http_only_and_same_site(
    client: FlaskClient, store: UserStore
) -> None:
    store.create("li", "", PASSWORD, [])
    cookie = sign_in(client, "li", PASSWORD).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_over_https_the_session_cookie_is_secure(make_app: AppFactory) -> None:
    app = make_app(https=True)
    app.extensions["formwork_users"].create("li", "", PASSWORD, [])
    client = app.test_client()
    response = client.post(
        "/login",
        data={"username": "li", "password": PASSWORD, "csrf_token": _https_token(client)},
        base_url="https://localhost",
        headers={"Referer": "https://localhost/login"},
    )
    assert response.status_code == 303
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def _https_token(client: FlaskClient) -> str:
    html = client.get("/login", base_url="https://localhost").get_data(as_text=True)
    return Page(html).form("/login").fields["csrf_token"]


PATHS = ["/login", "/healthz", "/static/formwork.css", "/", "/nope", "/admin/users"]


@pytest.mark.parametrize("role", [None, "finance", "admin"])
def test_every_response_carries_the_security_headers(
    client: FlaskClient, login_as: Callable[..., User], role: str | None
) -> None:
    if role:
        login_as(role)
    for path in PATHS:
        with client.get(path) as response:
            headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in headers


def test_pages_have_no_inline_script_or_style(
    client: FlaskClient, login_as: Callable[..., User]
) -> None:
    login_as("admin")
    for path in ["/", "/login", "/admin/users", "/admin/users/new", "/admin/users/1"]:
        html = client.get(path).get_data(as_text=True)
        checker = _InlineCode()
        checker.feed(html)
        assert checker.found == [], (path, checker.found)


class _InlineCode(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "style" or (tag == "script" and "src" not in names) or "style" in names:
            self.found.append(tag)
        self.found += [name for name in names if name.startswith("on")]

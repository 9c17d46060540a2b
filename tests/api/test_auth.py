"""Who may call the API: a bearer token of an active user, nothing else; failures are limited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from flask import Flask

from formwork.auth import UserStore
from formwork.store.tokens import TokenStore
from tests.api.conftest import ApiClient
from tests.app_fixtures import PASSWORD
from tests.pages import sign_in


def test_a_valid_token_is_the_users_identity(api_as: Callable[..., ApiClient]) -> None:
    client = api_as("finance", name="fiona")
    answer = client.get("/api/v1/")
    assert answer.status_code == 200
    assert answer.json["user"] == {"id": client.user.id, "username": "fiona", "roles": ["finance"]}


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer fwk_not-a-real-token",
        "Bearer not-even-our-prefix",
        "Token fwk_abc",
    ],
)
def test_no_valid_token_is_401_with_a_challenge(app: Flask, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    answer = app.test_client().get("/api/v1/customer", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert answer.json["error"]["code"] == "unauthorized"


def _token_of(users: UserStore, tokens: TokenStore, **kwargs: object) -> tuple[int, int, str]:
    user = users.create("tom", "Tom", PASSWORD, ["finance"])
    made, secret = tokens.create(user.id, "script", **kwargs)  # type: ignore[arg-type]
    return user.id, made.id, secret


def test_a_revoked_token_stops_working(app: Flask, users: UserStore, tokens: TokenStore) -> None:
    _, token_id, secret = _token_of(users, tokens)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/", headers=headers).status_code == 200
    tokens.revoke(token_id)
    assert client.get("/api/v1/", headers=headers).status_code == 401


def test_an_expired_token_stops_working(app: Flask, users: UserStore, tokens: TokenStore) -> None:
    in_an_hour = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    _, _, secret = _token_of(users, tokens, expires_at=in_an_hour)
    headers = {"Authorization": f"Bearer {secret}"}
    assert app.test_client().get("/api/v1/", headers=headers).status_code == 200
    tokens.clock = lambda: dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    assert app.test_client().get("/api/v1/", headers=headers).status_code == 401


def test_a_deactivated_users_tokens_stop_working(
    app: Flask, users: UserStore, tokens: TokenStore
) -> None:
    user_id, _, secret = _token_of(users, tokens)
    headers = {"Authorization": f"Bearer {secret}"}
    users.update(user_id, active=False)
    assert app.test_client().get("/api/v1/", headers=headers).status_code == 401
    users.update(user_id, active=True)
    assert app.test_client().get("/api/v1/", headers=headers).status_code == 200


def test_a_signed_in_session_is_no_api_credential(app: Flask, users: UserStore) -> None:
    """Cookies are not accepted for records: the API has no CSRF check, a token header is
    something a browser never adds by itself."""
    users.create("sam", "Sam", PASSWORD, ["admin"])
    client = app.test_client()
    assert sign_in(client, "sam", PASSWORD).status_code == 303
    assert client.get("/api/v1/customer").status_code == 401
    assert client.post("/api/v1/customer", json={"name": "x"}).status_code == 401
    # … but the description of the API may be read in the browser.
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_failed_attempts_are_rate_limited_per_client(
    app: Flask, api_as: Callable[..., ApiClient]
) -> None:
    limit = int(app.extensions["formwork"].settings.login_rate_limit.split()[0])
    client = app.test_client()
    bad = {"Authorization": "Bearer fwk_guess"}
    statuses = [client.get("/api/v1/", headers=bad).status_code for _ in range(limit + 1)]
    assert statuses == [401] * limit + [429]
    refused = client.get("/api/v1/", headers=bad)
    assert refused.status_code == 429
    assert refused.json["error"]["code"] == "too_many_requests"
    # Past the limit even a good token waits: guessing must not go on meanwhile.
    good = api_as("finance")
    assert good.get("/api/v1/").status_code == 429


def test_failed_attempts_count_together_across_the_api(app: Flask) -> None:
    limit = int(app.extensions["formwork"].settings.login_rate_limit.split()[0])
    client = app.test_client()
    bad = {"Authorization": "Bearer fwk_guess"}
    paths = ["/api/v1/", "/api/v1/customer", "/api/v1/openapi.json"]
    statuses = [client.get(paths[i % len(paths)], headers=bad).status_code for i in range(limit)]
    assert set(statuses) == {401}
    # The budget is spent: another endpoint gives no fresh one.
    assert {client.get(path, headers=bad).status_code for path in paths} == {429}


def test_successful_calls_do_not_count_against_the_limit(
    app: Flask, api_as: Callable[..., ApiClient]
) -> None:
    limit = int(app.extensions["formwork"].settings.login_rate_limit.split()[0])
    client = api_as("finance")
    assert {client.get("/api/v1/").status_code for _ in range(limit + 3)} == {200}

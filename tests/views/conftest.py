"""Fixtures for the web pages: clients signed in as users of every role (the app itself and
`crm` come from tests/app_fixtures.py).

    def test_x(as_role, crm):            # as_role("account_manager") → a signed-in client
        client = as_role("admin")
        customer = crm.customer(name="甲", owner=client.user)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from formwork.auth import User, UserStore
from tests.app_fixtures import CHEAP, PASSWORD
from tests.pages import csrf_token, sign_in

__all__ = ["CHEAP", "PASSWORD", "SignedIn"]


class SignedIn(FlaskClient):
    """A test client signed in as `user`; `csrf()` is a token for its session."""

    user: User

    def csrf(self) -> str:
        return csrf_token(self, "/")

    def post_form(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """POST with the session's CSRF token added (multi-valued fields as lists)."""
        return self.post(path, data={"csrf_token": self.csrf(), **(data or {})}, **kwargs)


@pytest.fixture
def as_role(app: Flask, users: UserStore) -> Callable[..., SignedIn]:
    """as_role(role, name=None, team=None, locale="en") → a client signed in as a new user."""
    app.test_client_class = SignedIn
    made: dict[str, int] = {}

    def sign_in_as(
        role: str | None, name: str | None = None, team: str | None = None, locale: str = "en"
    ) -> SignedIn:
        base = name or (role or "nobody")
        made[base] = made.get(base, 0) + 1
        username = base if made[base] == 1 else f"{base}{made[base]}"
        user = users.create(username, username, PASSWORD, [role] if role else [], team=team)
        client = app.test_client()
        assert isinstance(client, SignedIn)
        assert sign_in(client, username, PASSWORD).status_code == 303
        if locale:
            client.post_form("/language", {"locale": locale, "next": "/"})
        client.user = user
        return client

    return sign_in_as

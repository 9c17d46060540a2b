"""The app factory wires settings, model and database; the placeholder home page serves."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from formwork import create_app
from formwork.app import runtime_of
from formwork.metamodel import ConfigError
from formwork.store.schema_sync import apply_sync
from tests.conftest import CRM_PACKAGE
from tests.pages import Page, page, sign_in

PASSWORD = "correct horse battery"


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    flask_app = create_app({"instance": tmp_path, "package": CRM_PACKAGE})
    runtime = runtime_of(flask_app)
    apply_sync(runtime.db, runtime.model, runtime.tables, backup_dir=tmp_path)
    return flask_app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A client signed in as a user without roles (every page needs a signed-in user)."""
    app.extensions["formwork_users"].create("tester", "", PASSWORD, [])
    signed_in = app.test_client()
    assert sign_in(signed_in, "tester", PASSWORD).status_code == 303
    return signed_in


def test_home_shows_a_user_without_roles_no_records(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "工程大客户管理" in html
    assert "count-customer" not in Page(html).ids


def test_home_counts_only_the_records_in_the_users_scope(app: Flask) -> None:
    users = app.extensions["formwork_users"]
    mine = users.create("am1", "", PASSWORD, ["account_manager"])
    other = users.create("am2", "", PASSWORD, ["account_manager"])
    records = runtime_of(app).records
    for owner, name in ((mine, "甲"), (other, "乙"), (other, "丙")):
        records.create(
            "customer", {"name": name, "customer_type": "开发商", "account_manager": owner.id}
        )
    client = app.test_client()
    assert sign_in(client, "am1", PASSWORD).status_code == 303
    home = page(client, "/")
    assert home.text("count-customer") == "1"


def test_health_check(app: Flask) -> None:
    assert app.test_client().get("/healthz").json == {"status": "ok"}


def test_unknown_page_is_404(client: FlaskClient) -> None:
    assert client.get("/nope").status_code == 404


def test_pages_need_a_signed_in_user(app: Flask) -> None:
    assert app.test_client().get("/").location == "/login"


def test_the_session_cookie_is_safe_by_default(app: Flask) -> None:
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_an_invalid_package_stops_the_factory(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    with pytest.raises(ConfigError):
        create_app({"instance": tmp_path, "package": tmp_path / "pkg"})

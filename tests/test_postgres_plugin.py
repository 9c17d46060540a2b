"""The test PostgreSQL plugin: skipped without binaries locally, a failure on CI."""

from __future__ import annotations

import pytest

from tests import postgres


def test_missing_postgres_skips_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no server"):
        postgres._unavailable("no server")


def test_missing_postgres_fails_on_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="PostgreSQL is required on CI: no server"):
        postgres._unavailable("no server")


def test_the_highest_installed_version_is_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    found = [
        "/usr/lib/postgresql/9/bin",
        "/usr/lib/postgresql/15/bin",
        "/usr/lib/postgresql/13/bin",
    ]
    monkeypatch.setattr(postgres.glob, "glob", lambda pattern: found)
    monkeypatch.setattr(postgres.Path, "exists", lambda self: True)
    assert str(postgres._binaries()) == "/usr/lib/postgresql/15/bin"

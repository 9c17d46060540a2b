"""Settings come from overrides, then FORMWORK_* variables, then safe defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from formwork.settings import SETTINGS, SettingsError, load_settings


def test_defaults_put_sqlite_and_secret_in_the_instance_folder(tmp_path: Path) -> None:
    settings = load_settings({"instance": tmp_path, "package": "pkg"}, environ={})
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'formwork.db'}"
    assert settings.package == Path("pkg")
    secret = tmp_path / "secret_key"
    assert settings.secret_key == secret.read_text()
    assert secret.stat().st_mode & 0o077 == 0, "the secret key is readable by its owner only"


def test_the_secret_key_is_kept_between_starts(tmp_path: Path) -> None:
    first = load_settings({"instance": tmp_path, "package": "pkg"}, environ={})
    second = load_settings({"instance": tmp_path, "package": "pkg"}, environ={})
    assert first.secret_key == second.secret_key


def test_environment_variables_override_defaults(tmp_path: Path) -> None:
    environ = {
        "FORMWORK_DATABASE_URL": "postgresql+psycopg://db/x",
        "FORMWORK_SECRET_KEY": "k",
        "FORMWORK_INSTANCE": str(tmp_path),
        "FORMWORK_PACKAGE": "crm",
    }
    settings = load_settings(environ=environ)
    assert settings.package == Path("crm")
    assert settings.database_url == "postgresql+psycopg://db/x"
    assert settings.secret_key == "k"


def test_https_and_the_rate_limit_come_from_the_environment(tmp_path: Path) -> None:
    environ = {"FORMWORK_HTTPS": "true", "FORMWORK_LOGIN_RATE_LIMIT": "5/minute; 50/day"}
    settings = load_settings({"instance": tmp_path, "package": "pkg"}, environ=environ)
    assert settings.https is True
    assert settings.login_rate_limit == "5/minute; 50/day"
    assert load_settings({"instance": tmp_path, "package": "pkg"}, environ={}).https is False


def test_overrides_win_over_the_environment(tmp_path: Path) -> None:
    settings = load_settings(
        {"secret_key": "mine", "instance": tmp_path, "package": "pkg"},
        environ={"FORMWORK_SECRET_KEY": "env"},
    )
    assert settings.secret_key == "mine"


@pytest.mark.parametrize(
    ("environ", "overrides", "hint"),
    [
        ({"FORMWORK_DATABSE_URL": "x"}, {}, "did you mean FORMWORK_DATABASE_URL"),
        ({}, {"pakage": "x"}, "did you mean package"),
        ({"FORMWORK_MAX_UPLOAD_MB": "lots"}, {}, "whole number"),
        ({"FORMWORK_HTTPS": "maybe"}, {}, "true or false"),
        ({"FORMWORK_PROXIES": "-1"}, {}, "whole number"),
        ({"FORMWORK_LOGIN_RATE_LIMIT": "lots"}, {}, "Hint: write e.g. '10 per minute'"),
    ],
)
def test_bad_settings_are_refused_with_a_hint(
    environ: dict, overrides: dict, hint: str, tmp_path: Path
) -> None:
    with pytest.raises(SettingsError, match=hint):
        load_settings({"instance": tmp_path, "package": "pkg", **overrides}, environ=environ)


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for setting in SETTINGS:
        assert f"`{setting.env}`" in readme, f"{setting.env} is missing from README.md"


def test_a_package_is_required(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="FORMWORK_PACKAGE"):
        load_settings({"instance": tmp_path}, environ={})

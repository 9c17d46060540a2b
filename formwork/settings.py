"""Runtime settings: one table of every setting, read from FORMWORK_* environment variables.

Each setting has a name, a safe default and a line of help (shown by `formwork settings`). An
unknown FORMWORK_* variable is a start-up error with a hint, so a typo never goes unnoticed.
"""

from __future__ import annotations

import difflib
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .store.database import sqlite_url

ENV_PREFIX = "FORMWORK_"


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    default: Any
    help: str

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting("package", None, "Folder of the config package to run (required)."),
    Setting(
        "instance", "instance", "Folder for the SQLite database, uploaded files and the secret key."
    ),
    Setting(
        "database_url",
        None,
        "SQLAlchemy URL; default: SQLite file formwork.db in the instance folder.",
    ),
    Setting(
        "secret_key",
        None,
        "Signs session cookies; default: a random key kept in the instance folder.",
    ),
    Setting("max_upload_mb", 50, "Largest request body accepted, in megabytes."),
    Setting(
        "https",
        False,
        "true when the app is served over https: session cookies are then sent over https only.",
    ),
    Setting(
        "proxies",
        0,
        "How many reverse proxies stand in front of the app; their X-Forwarded-* headers are "
        "trusted (client address for the sign-in rate limit, https).",
    ),
    Setting(
        "login_rate_limit",
        "10 per minute",
        "Sign-in attempts allowed per client address, e.g. '10 per minute; 100 per day'.",
    ),
    Setting(
        "ratelimit_storage",
        "memory://",
        "Where rate-limit counters live (a Flask-Limiter storage URI, e.g. redis://host:6379); "
        "memory:// counts per process.",
    ),
    Setting(
        "timezone",
        "UTC",
        "The IANA time zone dates and times are shown in, e.g. Asia/Shanghai (stored in UTC).",
    ),
)
_BY_NAME = {s.name: s for s in SETTINGS}


class SettingsError(ValueError):
    """A setting that cannot be used; the message carries a hint."""


@dataclass(frozen=True, slots=True)
class Settings:
    package: Path
    instance: Path
    database_url: str
    secret_key: str
    max_upload_mb: int
    https: bool = False
    proxies: int = 0
    login_rate_limit: str = "10 per minute"
    ratelimit_storage: str = "memory://"
    timezone: str = "UTC"

    @property
    def files_dir(self) -> Path:
        return self.instance / "files"


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Settings from `overrides` (e.g. test config), then the environment, then defaults."""
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    for key in overrides:
        if key not in _BY_NAME:
            raise SettingsError(f"unknown setting {key!r}. Hint: {_hint(key)}")
    for var in environ:
        if var.startswith(ENV_PREFIX) and var[len(ENV_PREFIX) :].lower() not in _BY_NAME:
            name = var[len(ENV_PREFIX) :].lower()
            raise SettingsError(
                f"unknown environment variable {var}. Hint: {_hint(name, env=True)}"
            )

    def value(name: str) -> Any:
        if name in overrides:
            return overrides[name]
        setting = _BY_NAME[name]
        return environ.get(setting.env, setting.default)

    if not value("package"):
        raise SettingsError(
            "no config package given. Hint: set FORMWORK_PACKAGE to the package folder "
            "(the one with app.yaml), or pass --package"
        )
    instance = Path(value("instance")).resolve()
    try:
        max_upload = int(value("max_upload_mb"))
    except ValueError:
        raise SettingsError("FORMWORK_MAX_UPLOAD_MB must be a whole number of megabytes") from None
    return Settings(
        package=Path(value("package")),
        instance=instance,
        database_url=value("database_url") or sqlite_url(instance),
        secret_key=value("secret_key") or _instance_secret(instance),
        max_upload_mb=max_upload,
        https=_flag("https", value("https")),
        proxies=_whole("proxies", value("proxies")),
        login_rate_limit=_rate_limit(value("login_rate_limit")),
        ratelimit_storage=str(value("ratelimit_storage")),
        timezone=_timezone(value("timezone")),
    )


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _flag(name: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise SettingsError(f"{ENV_PREFIX}{name.upper()} must be true or false, not {raw!r}")


def _whole(name: str, raw: Any) -> int:
    try:
        number = int(raw)
    except ValueError:
        number = -1
    if number < 0:
        raise SettingsError(f"{ENV_PREFIX}{name.upper()} must be a whole number, not {raw!r}")
    return number


def _rate_limit(raw: Any) -> str:
    from limits import parse_many

    try:
        parse_many(str(raw))
    except ValueError:
        raise SettingsError(
            f"{ENV_PREFIX}LOGIN_RATE_LIMIT {raw!r} is not a rate limit. "
            "Hint: write e.g. '10 per minute' or '5/minute; 50/day'"
        ) from None
    return str(raw)


def _timezone(raw: Any) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(str(raw))
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            f"{ENV_PREFIX}TIMEZONE {raw!r} is not a time zone. "
            "Hint: use an IANA name such as Asia/Shanghai or UTC"
        ) from None
    return str(raw)


def _instance_secret(instance: Path) -> str:
    """A random key created once and kept (owner-readable only) in the instance folder."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(key)
    return key


def _hint(name: str, env: bool = False) -> str:
    names = [s.env if env else s.name for s in SETTINGS]
    wanted = ENV_PREFIX + name.upper() if env else name
    close = difflib.get_close_matches(wanted, names, n=1)
    listed = ", ".join(names)
    return f"did you mean {close[0]}? Known: {listed}" if close else f"known settings: {listed}"

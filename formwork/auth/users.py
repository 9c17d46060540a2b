"""The people who sign in: rows of fw_user, created and changed only through `UserStore`.

Usernames are kept in lower case and looked up case-insensitively. Passwords are stored only
as argon2 hashes. Every change is validated first and refused as a whole with a `UserError`
whose `problems` map a form field to a stable code (its English text is in `MESSAGES`, which
the UI's catalogs translate), so a refused change writes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..store.actor import Actor
from ..store.database import Database
from ..store.system import USER_TABLE
from .passwords import MAX_LENGTH, MIN_LENGTH, Passwords

if TYPE_CHECKING:
    from ..runtime import Runtime

ADMIN_ROLE = "admin"
USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{1,79}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def N_(message: str) -> str:
    """Mark `message` for the UI's catalogs (the admin pages translate it; see admin.py)."""
    return message


#: The text of each problem code, in English; `{roles}`, `{min_length}` and `{max_length}`
#: are filled in by `UserError.message`.
MESSAGES = {
    "username_format": N_(
        "2-80 characters: letters, digits and . _ @ -, starting with a letter or digit."
    ),
    "username_taken": N_("This username is already taken."),
    "display_name_too_long": N_("At most 200 characters."),
    "team_too_long": N_("At most 64 characters."),
    "email_format": N_("Not an email address."),
    "password_too_short": N_("At least {min_length} characters."),
    "password_too_long": N_("At most {max_length} characters."),
    "password_is_username": N_("The password must not be the username."),
    "role_unknown": N_("Unknown role; the app's roles are: {roles}."),
    "last_admin": N_("This would leave no active administrator."),
    "no_such_user": N_("No such user."),
}


class UserError(ValueError):
    """A refused change; `problems` maps a field to a code of `MESSAGES`."""

    def __init__(self, problems: dict[str, str], roles: Iterable[str] = ()) -> None:
        self.problems = problems
        self.roles = tuple(roles)
        text = "; ".join(f"{name}: {self.message(name)}" for name in problems)
        super().__init__(text)

    def message(self, name: str, translate: Callable[[str], str] = str) -> str:
        """The problem with field `name`, in English or through `translate` (a gettext)."""
        return translate(MESSAGES[self.problems[name]]).format(
            roles=", ".join(self.roles), min_length=MIN_LENGTH, max_length=MAX_LENGTH
        )


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    display_name: str
    email: str | None
    roles: tuple[str, ...]
    active: bool
    created_at: dt.datetime
    #: For the `team` row scope of permissions.
    team: str | None = None
    password_hash: str | None = field(default=None, repr=False)

    @property
    def is_admin(self) -> bool:
        return ADMIN_ROLE in self.roles

    def actor(self) -> Actor:
        """The user as the record service sees them."""
        return Actor(self.id, self.username, self.roles, team=self.team)


def normalize_username(username: str) -> str:
    return username.strip().lower()


class UserStore:
    """Create, read and change users; validation in one place for the web and the CLI."""

    def __init__(
        self,
        db: Database,
        table: sa.Table,
        roles: Collection[str] | Callable[[], Collection[str]],
        passwords: Passwords,
    ) -> None:
        self.db = db
        self.table = table
        # A callable follows the running config: an admin may publish new roles.
        self._roles = roles if callable(roles) else partial(tuple, roles)
        self.passwords = passwords
        # Built once: every signed-in request looks its user up by id.
        self._by_id = sa.select(table).where(table.c.id == sa.bindparam("user_id"))

    @classmethod
    def of(cls, runtime: Runtime, passwords: Passwords | None = None) -> UserStore:
        table = runtime.tables.system(USER_TABLE)
        return cls(runtime.db, table, lambda: runtime.model.roles, passwords or Passwords())

    @property
    def roles(self) -> tuple[str, ...]:
        """The app's roles, as the running config has them now."""
        return tuple(self._roles())

    # reading

    def get(self, user_id: int) -> User | None:
        with self.db.read() as conn:
            row = conn.execute(self._by_id, {"user_id": user_id}).mappings().first()
        return None if row is None else _user(row)

    def by_username(self, username: str) -> User | None:
        return self._one(self.table.c.username == normalize_username(username))

    def list(self) -> list[User]:
        with self.db.read() as conn:
            rows = conn.execute(sa.select(self.table).order_by(self.table.c.username))
            return [_user(row) for row in rows.mappings()]

    def count(self) -> int:
        with self.db.read() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(self.table)).scalar_one()

    def authenticate(self, username: str, password: str) -> User | None:
        """The active user with this username and password, else None (never says which
        part was wrong). Upgrades the stored hash when its parameters are out of date."""
        user = self.by_username(username)
        if user is None or not user.password_hash:
            self.passwords.burn(password)
            return None
        if not self.passwords.verify(user.password_hash, password) or not user.active:
            return None
        if self.passwords.needs_rehash(user.password_hash):
            user = self._write(user.id, {"password_hash": self.passwords.hash(password)})
        return user

    # writing

    def create(
        self,
        username: str,
        display_name: str,
        password: str,
        roles: Iterable[str] = (),
        email: str | None = None,
        team: str | None = None,
    ) -> User:
        username = normalize_username(username)
        roles = tuple(dict.fromkeys(roles))
        email = (email or "").strip() or None
        team = (team or "").strip() or None
        problems = {
            **self._username_problems(username),
            **_display_name_problems(display_name),
            **_email_problems(email),
            **_team_problems(team),
            **_password_problems(password, username),
            **self._role_problems(roles),
        }
        if problems:
            raise UserError(problems, self.roles)
        values = {
            "username": username,
            "display_name": display_name.strip() or username,
            "email": email,
            "password_hash": self.passwords.hash(password),
            "roles": list(roles),
            "active": True,
            "team": team,
            "created_at": dt.datetime.now(dt.UTC),
        }
        try:
            with self.db.write() as conn:
                new_id = conn.execute(self.table.insert(), values).inserted_primary_key[0]
        except sa.exc.IntegrityError:
            raise UserError({"username": "username_taken"}) from None
        created = self.get(int(new_id))
        assert created is not None
        return created

    def update(
        self,
        user_id: int,
        *,
        roles: Iterable[str] | None = None,
        active: bool | None = None,
        display_name: str | None = None,
        email: str | None = None,
        team: str | None = None,
    ) -> User:
        """Change what is given (an empty email or team clears it).

        Refuses a change that would leave the app without an active administrator."""
        values: dict[str, Any] = {}
        problems: dict[str, str] = {}
        if roles is not None:
            values["roles"] = list(dict.fromkeys(roles))
            problems |= self._role_problems(values["roles"])
        if active is not None:
            values["active"] = active
        if display_name is not None:
            problems |= _display_name_problems(display_name)
            values["display_name"] = display_name.strip()
        if email is not None:
            values["email"] = email.strip() or None
            problems |= _email_problems(values["email"])
        if team is not None:
            values["team"] = team.strip() or None
            problems |= _team_problems(values["team"])
        if problems:
            raise UserError(problems, self.roles)
        with self.db.write() as conn:
            current = self._fetch(conn, user_id)
            if not values.get("display_name", True):
                values["display_name"] = current.username
            after_roles = values.get("roles", current.roles)
            after_active = values.get("active", current.active)
            if (
                current.is_admin
                and current.active
                and not (ADMIN_ROLE in after_roles and after_active)
            ):
                others = sa.select(self.table.c.roles).where(
                    self.table.c.active.is_(True), self.table.c.id != user_id
                )
                if not any(ADMIN_ROLE in (r or []) for r in conn.execute(others).scalars()):
                    raise UserError({"roles": "last_admin"})
            if values:
                conn.execute(self.table.update().where(self.table.c.id == user_id), values)
            return self._fetch(conn, user_id)

    def set_password(self, user_id: int, password: str) -> User:
        """A new password; sessions signed in with the old one end (see session.py)."""
        user = self.get(user_id)
        if user is None:
            raise UserError({"user": "no_such_user"})
        problems = _password_problems(password, user.username)
        if problems:
            raise UserError(problems)
        return self._write(user_id, {"password_hash": self.passwords.hash(password)})

    # helpers

    def _one(self, where: sa.ColumnElement[bool]) -> User | None:
        with self.db.read() as conn:
            row = conn.execute(sa.select(self.table).where(where)).mappings().first()
        return None if row is None else _user(row)

    def _fetch(self, conn: sa.Connection, user_id: int) -> User:
        row = conn.execute(sa.select(self.table).where(self.table.c.id == user_id)).mappings()
        found = row.first()
        if found is None:
            raise UserError({"user": "no_such_user"})
        return _user(found)

    def _write(self, user_id: int, values: dict[str, Any]) -> User:
        with self.db.write() as conn:
            conn.execute(self.table.update().where(self.table.c.id == user_id), values)
            return self._fetch(conn, user_id)

    def _username_problems(self, username: str) -> dict[str, str]:
        if not USERNAME.fullmatch(username):
            return {"username": "username_format"}
        if self.by_username(username) is not None:
            return {"username": "username_taken"}
        return {}

    def _role_problems(self, roles: Iterable[str]) -> dict[str, str]:
        return {"roles": "role_unknown"} if set(roles) - set(self.roles) else {}


def _display_name_problems(display_name: str) -> dict[str, str]:
    return {"display_name": "display_name_too_long"} if len(display_name.strip()) > 200 else {}


def _team_problems(team: str | None) -> dict[str, str]:
    return {"team": "team_too_long"} if team is not None and len(team) > 64 else {}


def _email_problems(email: str | None) -> dict[str, str]:
    if email is None:
        return {}
    return {} if len(email) <= 254 and EMAIL.fullmatch(email) else {"email": "email_format"}


def _password_problems(password: str, username: str) -> dict[str, str]:
    if len(password) < MIN_LENGTH:
        return {"password": "password_too_short"}
    if len(password) > MAX_LENGTH:
        return {"password": "password_too_long"}
    if password.strip().lower() == username:
        return {"password": "password_is_username"}
    return {}


def _user(row: Any) -> User:
    return User(
        id=int(row["id"]),
        username=row["username"],
        display_name=row["display_name"],
        email=row["email"],
        roles=tuple(row["roles"] or ()),
        active=bool(row["active"]),
        created_at=row["created_at"],
        team=row.get("team"),
        password_hash=row["password_hash"],
    )

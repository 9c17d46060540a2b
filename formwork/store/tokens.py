"""API tokens: the `fw_api_token` table and every operation on it (`TokenStore`).

A token is a random secret handed out once, at creation; only its SHA-256 digest is kept (a
high-entropy secret needs no slow hash: nobody can guess a preimage). Each belongs to a user,
has a name, a creation time, an optional expiry and the time it was last used, and can be
revoked. `TokenStore.verify` accepts a token only while it is neither revoked nor expired
and its user is active, so deactivating a user stops their tokens at once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..metamodel.fieldtypes.columns import UtcDateTime
from .database import Database
from .system import ID_TYPE, USER_TABLE

TOKEN_TABLE = "fw_api_token"
#: What every token starts with, so that a leaked one is easy to recognise (secret scanners).
TOKEN_PREFIX = "fwk_"
MAX_NAME = 100
#: `last_used_at` is written at most this often per token, so reads do not all become writes.
TOUCH_EVERY = dt.timedelta(minutes=1)


def add_token_table(metadata: sa.MetaData) -> None:
    sa.Table(
        TOKEN_TABLE,
        metadata,
        sa.Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        sa.Column(
            "user_id",
            sa.BigInteger(),
            sa.ForeignKey(f"{USER_TABLE}.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("name", sa.String(MAX_NAME), nullable=False),
        #: The hex SHA-256 of the whole token; the token itself is never stored.
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        #: The token's first characters, to tell tokens apart in lists.
        sa.Column("hint", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime()),
        sa.Column("last_used_at", UtcDateTime()),
        sa.Column("revoked_at", UtcDateTime()),
    )


class TokenError(ValueError):
    """A refused token change; `problems` maps a form field to its English message."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))


@dataclass(frozen=True, slots=True)
class Token:
    """A token as lists show it (never the secret)."""

    id: int
    user_id: int
    name: str
    hint: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None

    def usable(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def end_of_day(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    """When a token that is valid "until `day`" expires: the next midnight in `zone`."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)


class TokenStore:
    """Create, verify, list and revoke the API tokens of one database."""

    def __init__(
        self, db: Database, metadata: sa.MetaData, clock: Callable[[], dt.datetime] = utc_now
    ) -> None:
        self.db = db
        self.table = metadata.tables[TOKEN_TABLE]
        self.users = metadata.tables[USER_TABLE]
        self.clock = clock

    def create(
        self, user_id: int, name: str, expires_at: dt.datetime | None = None
    ) -> tuple[Token, str]:
        """A new token for the user: its row and the secret, which is shown only now."""
        name = " ".join(name.split())
        problems = {}
        if not name:
            problems["name"] = "A name is required."
        elif len(name) > MAX_NAME:
            problems["name"] = f"At most {MAX_NAME} characters."
        now = self.clock()
        if expires_at is not None and expires_at <= now:
            problems["expires_at"] = "The expiry must be in the future."
        if problems:
            raise TokenError(problems)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        values = {
            "user_id": user_id,
            "name": name,
            "digest": digest(secret),
            "hint": secret[: len(TOKEN_PREFIX) + 6],
            "created_at": now,
            "expires_at": expires_at,
        }
        try:
            with self.db.write() as conn:
                new_id = conn.execute(self.table.insert(), values).inserted_primary_key[0]
                token = self._one(conn, self.table.c.id == new_id)
        except sa.exc.IntegrityError:
            raise TokenError({"user": "No such user."}) from None
        assert token is not None
        return token, secret

    def verify(self, secret: str) -> Token | None:
        """The token whose secret this is, if it may be used now (its user active); noting
        that it was used. None for anything else."""
        if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
            return None
        wanted = digest(secret)
        now = self.clock()
        with self.db.read() as conn:
            row = (
                conn.execute(
                    sa.select(self.table)
                    .join(self.users, self.users.c.id == self.table.c.user_id)
                    .where(self.table.c.digest == wanted, self.users.c.active.is_(True))
                )
                .mappings()
                .first()
            )
        # The lookup is by digest; comparing again in constant time costs nothing and keeps
        # the check itself free of timing differences.
        if row is None or not hmac.compare_digest(row["digest"], wanted):
            return None
        token = _token(row)
        if not token.usable(now):
            return None
        if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
            with self.db.write() as conn:
                update = self.table.update().where(self.table.c.id == token.id)
                conn.execute(update.values(last_used_at=now))
            token = dataclasses.replace(token, last_used_at=now)
        return token

    def list(self, user_id: int | None = None) -> list[Token]:
        """The tokens of one user (or of everyone), newest first, revoked ones included."""
        query = sa.select(self.table).order_by(self.table.c.id.desc())
        if user_id is not None:
            query = query.where(self.table.c.user_id == user_id)
        with self.db.read() as conn:
            return [_token(row) for row in conn.execute(query).mappings()]

    def get(self, token_id: int) -> Token | None:
        with self.db.read() as conn:
            return self._one(conn, self.table.c.id == token_id)

    def revoke(self, token_id: int, user_id: int | None = None) -> Token:
        """Revoke a token (of `user_id` only, when given); revoking twice keeps the first time.

        TokenError if there is no such token (or it is another user's)."""
        where = self.table.c.id == token_id
        if user_id is not None:
            where = sa.and_(where, self.table.c.user_id == user_id)
        with self.db.write() as conn:
            conn.execute(
                self.table.update()
                .where(where, self.table.c.revoked_at.is_(None))
                .values(revoked_at=self.clock())
            )
            token = self._one(conn, where)
        if token is None:
            raise TokenError({"token": "No such token."})
        return token

    def _one(self, conn: sa.Connection, where: sa.ColumnElement[bool]) -> Token | None:
        row = conn.execute(sa.select(self.table).where(where)).mappings().first()
        return None if row is None else _token(row)


def _token(row: Any) -> Token:
    return Token(
        id=int(row["id"]),
        user_id=int(row["user_id"]),
        name=row["name"],
        hint=row["hint"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        last_used_at=row["last_used_at"],
        revoked_at=row["revoked_at"],
    )

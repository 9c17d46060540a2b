"""`formwork token …`: make, list and revoke API tokens from the command line.

    formwork token create alice --name "nightly report" --expires 2027-06-30
    formwork token list [alice]
    formwork token revoke 12

A new token's secret is printed once, on its own line (so scripts can capture it); only its
digest is kept. `--expires` is the last day the token works, in FORMWORK_TIMEZONE.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from .auth.users import UserStore
from .cli import _open, database_option, main, package_option
from .runtime import Runtime
from .store.tokens import TokenError, TokenStore, end_of_day


@main.group()
def token() -> None:
    """Manage API tokens (Authorization: Bearer <token>)."""


def _stores(package: Path | None, database: str | None) -> tuple[Runtime, UserStore, TokenStore]:
    """The runtime and its users and tokens; ends the command if the database is behind."""
    runtime = _open(package, database, migrated=True)
    return runtime, UserStore.of(runtime), TokenStore(runtime.db, runtime.tables.metadata)


@token.command("create")
@click.argument("username")
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
@click.option(
    "--expires",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The last day it works (YYYY-MM-DD) [default: never expires].",
)
@package_option
@database_option
def token_create(
    username: str,
    name: str,
    expires: dt.datetime | None,
    package: Path | None,
    database: str | None,
) -> None:
    """Make a token for USERNAME and print it (it is shown only this once)."""
    runtime, users, store = _stores(package, database)
    user = users.by_username(username)
    if user is None:
        click.echo(f"error: no user named {username!r}.", err=True)
        sys.exit(1)
    expires_at = None
    if expires is not None:
        expires_at = end_of_day(expires.date(), ZoneInfo(runtime.settings.timezone))
    try:
        made, secret = store.create(user.id, name, expires_at)
    except TokenError as exc:
        for key, text in exc.problems.items():
            click.echo(f"error: {key}: {text}", err=True)
        sys.exit(1)
    if not user.active:
        click.echo("warning: the user is inactive; the token works once they are.", err=True)
    click.echo(f"Token {made.id} ({made.name}) for {user.username}; keep it secret:", err=True)
    click.echo(secret)


@token.command("list")
@click.argument("username", required=False)
@package_option
@database_option
def token_list(username: str | None, package: Path | None, database: str | None) -> None:
    """List tokens (of USERNAME, or everyone's): id, user, name, start, dates, status."""
    _, users, store = _stores(package, database)
    user_id = None
    if username is not None:
        user = users.by_username(username)
        if user is None:
            click.echo(f"error: no user named {username!r}.", err=True)
            sys.exit(1)
        user_id = user.id
    names = {u.id: u.username for u in users.list()}
    now = dt.datetime.now(dt.UTC)
    for item in store.list(user_id):
        status = "revoked" if item.revoked_at else "active" if item.usable(now) else "expired"
        cells = [
            str(item.id),
            names.get(item.user_id, str(item.user_id)),
            item.name,
            item.hint + "…",
            _when(item.created_at),
            _when(item.last_used_at),
            _when(item.expires_at),
            status,
        ]
        click.echo("\t".join(cells))


@token.command("revoke")
@click.argument("token_id", type=int)
@package_option
@database_option
def token_revoke(token_id: int, package: Path | None, database: str | None) -> None:
    """Revoke token TOKEN_ID (see `formwork token list`): it stops working at once."""
    try:
        revoked = _stores(package, database)[2].revoke(token_id)
    except TokenError:
        click.echo(f"error: no token {token_id}.", err=True)
        sys.exit(1)
    click.echo(f"Revoked token {revoked.id} ({revoked.name}).")


def _when(moment: dt.datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M")

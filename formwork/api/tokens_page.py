"""The page where signed-in users make and revoke their own API tokens (`/account/tokens`).

A normal web page: it needs a signed-in session and the CSRF token like every other. A new
token's secret is shown in the answer to the form that made it, once; nothing keeps it (not
even the session), so a reload cannot show it again.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..auth import current_user
from ..store.tokens import MAX_NAME, TokenError, end_of_day
from ..views.context import runtime
from .auth import tokens

tokens_page = Blueprint("api_tokens", __name__, url_prefix="/account/tokens")


@tokens_page.get("")
def index() -> str:
    return _page()


@tokens_page.post("")
def create() -> tuple[str, int]:
    user = current_user()
    assert user is not None  # the sign-in check runs first
    name = request.form.get("name", "")
    problems: dict[str, str] = {}
    expires_at = None
    raw_day = request.form.get("expires_on", "").strip()
    if raw_day:
        try:
            expires_at = end_of_day(dt.date.fromisoformat(raw_day), _zone())
        except ValueError:
            problems["expires_on"] = _("Not a date (YYYY-MM-DD): %(value)s.", value=raw_day)
    if not problems:
        try:
            token, secret = tokens().create(user.id, name, expires_at)
        except TokenError as exc:
            problems = {_FORM_NAMES.get(k, k): _problem(k) for k in exc.problems}
        else:
            return _page(new_secret=secret, new_token=token.id), 201
    return _page(problems=problems, form=request.form), 422


@tokens_page.post("/<int:token_id>/revoke")
def revoke(token_id: int) -> Response:
    user = current_user()
    assert user is not None
    try:
        tokens().revoke(token_id, user_id=user.id)
    except TokenError:
        abort(404)
    flash(_("Token revoked: programs using it can no longer sign in with it."))
    return redirect(url_for(".index"), code=303)


_FORM_NAMES = {"expires_at": "expires_on"}


def _problem(key: str) -> str:
    if key == "name":
        return _("A name of at most %(count)s characters is required.", count=MAX_NAME)
    if key == "expires_at":
        return _("The expiry must be in the future.")
    return _("Not saved.")


def _zone() -> ZoneInfo:
    return ZoneInfo(runtime().settings.timezone)


def _page(
    new_secret: str | None = None,
    new_token: int | None = None,
    problems: dict[str, str] | None = None,
    form: object = None,
) -> str:
    user = current_user()
    assert user is not None
    zone = _zone()
    now = dt.datetime.now(dt.UTC)

    def when(moment: dt.datetime | None) -> str:
        return "" if moment is None else moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    return render_template(
        "tokens.html",
        tokens=tokens().list(user.id),
        new_secret=new_secret,
        new_token=new_token,
        problems=problems or {},
        form=form or {},
        when=when,
        now=now,
        max_name=MAX_NAME,
        api_url=url_for("api.index", _external=True),
    )

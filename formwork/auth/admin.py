"""The admin pages for users: list, create, change roles and status, reset a password.

Only users with the `admin` role see them (403 for anyone else). The store refuses changes
that would leave the app without an active administrator.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext
from werkzeug.wrappers import Response

from .passwords import MIN_LENGTH
from .session import current_user, login_user, users
from .users import User, UserError

admin_users = Blueprint("admin_users", __name__, url_prefix="/admin/users")


@admin_users.before_request
def require_admin() -> None:
    user = current_user()
    if user is None or not user.is_admin:
        abort(403)


@admin_users.get("")
def index() -> str:
    return render_template("auth/users.html", users=users().list(), **_form_context())


@admin_users.route("/new", methods=["GET", "POST"])
def create() -> Response | tuple[str, int] | str:
    form = request.form
    if request.method == "POST":
        try:
            user = users().create(
                form.get("username", ""),
                form.get("display_name", ""),
                form.get("password", ""),
                form.getlist("roles"),
                form.get("email"),
                form.get("team"),
            )
        except UserError as exc:
            page = render_template(
                "auth/user_new.html", form=form, problems=_problems(exc), **_form_context()
            )
            return page, 422
        flash("user_created")
        return redirect(url_for(".edit", user_id=user.id), code=303)
    return render_template("auth/user_new.html", form=form, problems={}, **_form_context())


@admin_users.route("/<int:user_id>", methods=["GET", "POST"])
def edit(user_id: int) -> Response | tuple[str, int] | str:
    user = _user_or_404(user_id)
    if request.method == "POST":
        form = request.form
        try:
            users().update(
                user_id,
                roles=form.getlist("roles"),
                active="active" in form,
                display_name=form.get("display_name", ""),
                email=form.get("email", ""),
                team=form.get("team", ""),
            )
        except UserError as exc:
            return _edit_page(user, _problems(exc), form), 422
        flash("user_saved")
        return redirect(url_for(".edit", user_id=user_id), code=303)
    return _edit_page(user, {}, None)


@admin_users.post("/<int:user_id>/password")
def reset_password(user_id: int) -> Response | tuple[str, int]:
    user = _user_or_404(user_id)
    try:
        changed = users().set_password(user_id, request.form.get("password", ""))
    except UserError as exc:
        return _edit_page(user, _problems(exc), None), 422
    me = current_user()
    if me is not None and me.id == user_id:
        login_user(changed)  # keep this session; the user's other sessions end
    flash("password_set")
    return redirect(url_for(".edit", user_id=user_id), code=303)


def _edit_page(user: User, problems: dict[str, str], form: Any) -> str:
    return render_template(
        "auth/user_edit.html", user=user, problems=problems, form=form, **_form_context()
    )


def _user_or_404(user_id: int) -> User:
    user = users().get(user_id)
    if user is None:
        abort(404)
    return user


def _problems(error: UserError) -> dict[str, str]:
    """The refused fields with their problems in the user's language."""
    return {name: error.message(name, gettext) for name in error.problems}


def _form_context() -> dict[str, Any]:
    """The app's roles with their labels in the user's language, in config order (for
    checkboxes and the list), and the shortest password allowed."""
    model = current_app.extensions["formwork"].model
    locale = str(get_locale() or model.default_locale)
    return {
        "role_labels": {name: role.label.get(locale, name) for name, role in model.roles.items()},
        "min_password_length": MIN_LENGTH,
    }

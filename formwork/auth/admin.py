"""The admin pages for users: list, create, change roles and status, reset a password.

Only users with the `admin` role see them (403 for anyone else). The store refuses changes
that would leave the app without an active administrator.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

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
    return render_template("auth/users.html", users=users().list(), **_roles())


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
                "auth/user_new.html", form=form, problems=exc.problems, **_roles()
            )
            return page, 422
        flash("user_created")
        return redirect(url_for(".edit", user_id=user.id), code=303)
    return render_template("auth/user_new.html", form=form, problems={}, **_roles())


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
            return _edit_page(user, exc.problems, form), 422
        flash("user_saved")
        return redirect(url_for(".edit", user_id=user_id), code=303)
    return _edit_page(user, {}, None)


@admin_users.post("/<int:user_id>/password")
def reset_password(user_id: int) -> Response | tuple[str, int]:
    user = _user_or_404(user_id)
    try:
        changed = users().set_password(user_id, request.form.get("password", ""))
    except UserError as exc:
        return _edit_page(user, exc.problems, None), 422
    me = current_user()
    if me is not None and me.id == user_id:
        login_user(changed)  # keep this session; the user's other sessions end
    flash("password_set")
    return redirect(url_for(".edit", user_id=user_id), code=303)


def _edit_page(user: User, problems: dict[str, str], form: Any) -> str:
    return render_template(
        "auth/user_edit.html", user=user, problems=problems, form=form, **_roles()
    )


def _user_or_404(user_id: int) -> User:
    user = users().get(user_id)
    if user is None:
        abort(404)
    return user


def _roles() -> dict[str, Any]:
    """The app's roles with their labels, in config order, for checkboxes and the list."""
    model = current_app.extensions["formwork"].model
    locale = model.default_locale
    return {
        "role_labels": {name: role.label.get(locale, name) for name, role in model.roles.items()}
    }

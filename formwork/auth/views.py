"""Sign-in and sign-out pages. Sign-in is rate-limited per client (see `init_app`)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from .session import current_user, login_user, logout, safe_next, users

signin = Blueprint("signin", __name__)


@signin.route("/login", methods=["GET", "POST"])
def login() -> Response | str:
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_user() is not None:
            return redirect(next_url)
        return render_template(
            "auth/login.html", next=next_url, username="", failed=False, empty=not users().count()
        )
    username = request.form.get("username", "")
    user = users().authenticate(username, request.form.get("password", ""))
    if user is None:
        # One message whether the username or the password was wrong.
        return render_template("auth/login.html", next=next_url, username=username, failed=True)
    login_user(user)
    return redirect(next_url, code=303)


@signin.post("/logout")
def logout_view() -> Response:
    logout()
    return redirect(url_for("signin.login"), code=303)

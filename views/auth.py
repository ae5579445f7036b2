"""Logging in and out, and each user's own settings."""
import re
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

import accounts
from forms import AccountForm, LoginForm
from views import render

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in; the same message whether the name or the password was wrong."""
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.username.data, form.password.data)
        if user:
            session.clear()  # a fresh session (and CSRF token) for the logged-in user
            login_user(user)
            return redirect(_safe_next(request.args.get("next")), code=303)
        form.password.errors.append(_("Wrong user name or password."))
    status = 422 if form.errors else 200
    return render("auth/login.html", form=form, status=status)


def _kinds(stored):
    return [k for k in stored.split(",") if k]


# Browsers drop tabs and newlines anywhere in a URL, trim spaces and controls, and
# read "\\" as "/": any of these could turn "/\t/evil" into "//evil" after a check.
_UNSAFE_IN_NEXT = re.compile(r"[\x00-\x20\x7f-\x9f\\]")


def _safe_next(target):
    """A path on this site to go back to after login; anything else goes to the inbox."""
    if target and target.startswith("/") and not target.startswith("//") and not _UNSAFE_IN_NEXT.search(target):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("inbox.index")


@bp.post("/logout")
def logout():
    """Log out and forget the session."""
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"), code=303)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """The user's language and password."""
    user = current_user._get_current_object()  # the User itself, not the proxy
    form = AccountForm(obj=user, data={"email_kinds": _kinds(user.email_kinds),
                                       "webhook_kinds": _kinds(user.webhook_kinds)})
    if request.method == "GET":
        form.email_kinds.data, form.webhook_kinds.data = _kinds(user.email_kinds), _kinds(user.webhook_kinds)
    if form.validate_on_submit():
        if form.new_password.data and not accounts.authenticate(user.username, form.current_password.data):
            form.current_password.errors.append(_("That is not your current password."))
        else:
            for name in ("language", "email", "webhook_url", "webhook_format", "digest"):
                setattr(user, name, form[name].data)
            user.email_kinds, user.webhook_kinds = ",".join(form.email_kinds.data), ",".join(form.webhook_kinds.data)
            accounts.save_user(user, user.roles, form.new_password.data or None)
            if form.new_password.data:
                login_user(user)  # the new token keeps this session alive
            flash(_("Your settings are saved."))
            return redirect(url_for("auth.account"), code=303)
    return render("auth/account.html", form=form, status=422 if form.errors else 200)

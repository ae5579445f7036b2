"""Logging in and out, and each user's own settings."""
from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

import accounts
import audit
from forms import AccountForm, LoginForm
from i18n import lazy_gettext as _l
from models import utcnow
from views import local_path, render, to_local

bp = Blueprint("auth", __name__)


SESSION_ENDED = {
    "idle": _l("You were logged out after a long time without use. Log in again."),
    "expired": _l("Your login had reached its time limit. Log in again."),
}


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in; the same answer whether the name or the password was wrong, and a pause
    after too many failures (per user name and per address)."""
    form, status = LoginForm(), 200
    ended = SESSION_ENDED.get(session.pop("session_ended", None)) if request.method == "GET" else None
    if form.validate_on_submit():
        user, status = _try_login(form)
        if user:
            return redirect(_safe_next(request.args.get("next")), code=303)
    return render("auth/login.html", form=form, ended=ended, status=status)


def _try_login(form):
    """(user, status): the user logged in, or None with the reason on the form."""
    now, config, username = utcnow(), current_app.config, form.username.data
    locked_until = audit.login_locked_until(
        username, audit.client_ip(), now, timedelta(minutes=config["LOGIN_LOCK_MINUTES"]),
        config["LOGIN_FAILURES_PER_NAME"], config["LOGIN_FAILURES_PER_ADDRESS"])
    if locked_until:
        audit.record("login_refused", actor_name=username, target=username, now=now)
        form.password.errors.append(_("Too many failed logins. Try again after %(time)s.",
                                      time=to_local(locked_until).strftime("%H:%M")))
        return None, 429
    user = accounts.authenticate(username, form.password.data)
    if user is None:
        audit.record("login_failed", actor_name=username, target=username, now=now)
        form.password.errors.append(_("Wrong user name or password."))
        return None, 422
    if current_user.is_authenticated:  # someone else logs in on this browser: the earlier login ends
        accounts.end_session(current_user.session_token, now)
    session.clear()  # a fresh session (and CSRF token) for the logged-in user
    accounts.start_session(user, now, audit.client_ip(), request.headers.get("User-Agent", ""))
    login_user(user)
    audit.record("login", actor=user, target=user.username, now=now)
    return user, 303


def _kinds(stored):
    return [k for k in stored.split(",") if k]


def _safe_next(target):
    """A path on this site to go back to after login; anything else goes to the inbox."""
    return local_path(target) or url_for("inbox.index")


@bp.post("/logout")
def logout():
    """Log out: the session ends on the server, so a copy of the cookie opens nothing."""
    if current_user.is_authenticated:
        accounts.end_session(current_user.session_token, utcnow())
        audit.record("logout", actor=current_user, target=current_user.username)
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"), code=303)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """The user's language and password."""
    user = current_user._get_current_object()  # the User itself, not the proxy
    form = AccountForm(obj=user, data={"email_kinds": _kinds(user.email_kinds)})
    form.for_user = user
    if request.method == "GET":
        form.email_kinds.data = _kinds(user.email_kinds)
    if form.validate_on_submit():
        if form.new_password.data and not accounts.authenticate(user.username, form.current_password.data):
            form.current_password.errors.append(_("That is not your current password."))
        elif form.new_password.data and form.new_password.data == form.current_password.data:
            form.new_password.errors.append(_("Choose a password different from the current one."))
        else:
            for name in ("language", "email", "digest"):
                setattr(user, name, form[name].data)
            user.email_kinds = ",".join(form.email_kinds.data)
            if form.new_password.data:
                user.must_change_password = False
            accounts.save_user(user, user.roles, form.new_password.data or None, keep_session=user.session_token)
            if form.new_password.data:
                audit.record("password_changed", actor=user, target=user.username)
            flash(_("Your settings are saved."))
            return redirect(url_for("auth.account"), code=303)
    return render("auth/account.html", form=form, status=422 if form.errors else 200)

"""The dealership's complaint desk: application factory and command line.

    flask --app app init-db       create tables, departments and the first admin
    flask --app app create-user   add a user from the shell
    flask --app app seed-demo     fill a demo dealership
    flask --app app backup        copy the database and attachments while it runs
    flask --app app restore       put a backup back (with the app stopped)
"""
import os
import secrets
from datetime import timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from babel import Locale
from flask import Flask, current_app, g, has_request_context, redirect, request, session, url_for
from flask_babel import Babel
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx
from markupsafe import Markup, escape
from werkzeug.routing import IntegerConverter

import accounts
import background
import catalog
import i18n
import migrations
import running
from config import default_config
from deadlines import calendar_days, rules
from models import db, utcnow

HERE = os.path.dirname(os.path.abspath(__file__))

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")


def create_app(config=None):
    instance = (config or {}).get("INSTANCE_PATH") or os.environ.get("INSTANCE_PATH") or os.path.join(HERE, "instance")
    app = Flask(__name__, instance_path=instance)
    app.url_map.converters["int"] = DatabaseId
    os.makedirs(app.instance_path, exist_ok=True)
    running.hold(app.instance_path)  # restore refuses while this process lives
    app.config.update(default_config(app.instance_path))
    app.config.update(config or {})
    app.config["SECRET_KEY"] = app.config.get("SECRET_KEY") or _secret_key(app.instance_path)
    if app.config.get("ARGON2_TIME_COST"):
        accounts.configure_hasher(app.config["ARGON2_TIME_COST"], app.config["ARGON2_MEMORY_COST"],
                                  app.config.get("ARGON2_PARALLELISM", 1))

    # Tests open a database per test: a pool per test would keep each one's files open.
    migrations.open_and_upgrade(app.config["DATABASE_URL"], pooled=not app.config.get("TESTING"))
    with db.connection_context():
        background.ensure()
        rules.ensure_defaults()  # a kind of clock a release adds gets its default rule
        if app.config["OFFICIAL_CALENDAR"]:
            calendar_days.load_official_now(app.config["TIMEZONE"])
    if app.config["PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_COUNT"], x_proto=app.config["PROXY_COUNT"])
    # Before CSRFProtect, which reads the form: the upload route may take more than other forms.
    app.before_request(_upload_size_limit)
    CSRFProtect(app)
    Htmx(app)
    Babel(app, locale_selector=_select_locale)
    i18n.install(app)
    _setup_login(app)
    _register_views(app)
    _setup_requests(app)
    _setup_templates(app)
    _register_commands(app)
    return app


def _upload_size_limit():
    if request.endpoint == "attachments.upload":
        from views.attachments import upload_limit
        request.max_content_length = upload_limit(current_app.config)
    elif request.endpoint == "call_imports.upload":
        from views.call_imports import upload_limit
        request.max_content_length = upload_limit(current_app.config)


class DatabaseId(IntegerConverter):
    """<int:…> in every route: a number the database can hold, else 404 (not a 500)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2 ** 63 - 1)
        super().__init__(url_map, *args, **kwargs)


def _secret_key(instance_path):
    """SECRET_KEY from the environment, else one made once and kept in instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write(secrets.token_hex(32))
    with open(path) as f:
        return f.read().strip()


# Requests a page makes by itself: they keep nobody's session alive.
PASSIVE_ENDPOINTS = {"notifications.bell"}


def _select_locale():
    if not has_request_context():
        return _locale("zh_CN")  # command line and tasks: the dealership's language
    if current_user and current_user.is_authenticated:
        return _locale(current_user.language)
    return _locale(session.get("lang", "zh_CN"))


_locales = {}


def _locale(code):
    """The language as a babel Locale, made once per process: Flask-Babel parses a name anew on
    every request, and parsing checks it against all of babel's ~800 locales (0.3 ms a request)."""
    found = _locales.get(code)
    if found is None:
        found = _locales[code] = Locale.parse(code)
    return found


def _setup_login(app):
    login = LoginManager(app)
    login.login_view = "auth.login"
    login.login_message = None

    @login.unauthorized_handler
    def unauthorized():
        # An htmx request (the bell polling after the session ended) must not swap
        # the login page into a corner of the screen: send the whole page there.
        target = url_for("auth.login", next=request.full_path if request.method == "GET" else None)
        if request.headers.get("HX-Request"):
            return "", 200, {"HX-Redirect": target}
        return redirect(target)

    @login.user_loader
    def load_user(token):
        user, ended = accounts.session_user(
            token, utcnow(), timedelta(hours=app.config["SESSION_IDLE_HOURS"]),
            timedelta(days=app.config["SESSION_ABSOLUTE_DAYS"]), seen=request.endpoint not in PASSIVE_ENDPOINTS)
        if ended:
            session["session_ended"] = ended  # the login page says why
        return user


def _register_views(app):
    from views import (
        accountability,
        actions,
        admin,
        attachments,
        audit_log,
        auth,
        calendar,
        call_imports,
        call_settings,
        callbacks,
        cases,
        complaints,
        errors,
        guidance_admin,
        improvements,
        inbox,
        notifications,
        overdue,
        parts,
        reports,
        settings,
    )
    for module in (auth, inbox, complaints, actions, attachments, admin, overdue, notifications, parts, settings,
                   calendar, audit_log, callbacks, call_imports, call_settings, reports, improvements, cases,
                   accountability, guidance_admin):
        app.register_blueprint(module.bp)

    @app.get("/")
    def home():
        return redirect(url_for("inbox.index"))

    @app.get("/healthz")
    def health():
        """For a load balancer or a monitor: the process answers (no login, no database)."""
        return "ok\n", 200, {"Content-Type": "text/plain"}

    errors.register(app)


def _setup_requests(app):
    @app.before_request
    def open_db():
        if request.endpoint not in ("static", "health"):
            db.connect(reuse_if_open=True)
        if "lang" in request.args and request.args["lang"] in dict(catalog.LANGUAGES):
            session["lang"] = request.args["lang"]

    @app.before_request
    def own_password_first():
        """A password someone else chose (generated, or reset) is changed before anything else."""
        if request.endpoint in (None, "static", "auth.account", "auth.logout", "auth.login"):
            return None
        if current_user.is_authenticated and current_user.must_change_password:
            target = url_for("auth.account")
            return ("", 200, {"HX-Redirect": target}) if request.headers.get("HX-Request") else redirect(target)
        return None

    @app.teardown_request
    def close_db(exc):
        if not db.is_closed():
            db.close()

    @app.after_request
    def security_headers(response):
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.vary.add("HX-Request")
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"  # customer data stays off disk caches
        return response


def _setup_templates(app):
    from permissions import can, can_administer
    from views import to_local

    @app.template_filter("filesize")
    def filesize(size):
        return f"{size / 2 ** 20:.1f} MB" if size >= 2 ** 20 else f"{max(1, round(size / 1024))} KB"

    @app.template_filter("local")
    def local(value, fmt="%Y-%m-%d %H:%M"):
        # (this app's zone read here, not through current_app: a timeline shows hundreds of times)
        return to_local(value, ZoneInfo(app.config["TIMEZONE"])).strftime(fmt) if value else ""

    from flask_babel import get_locale

    from workflow import ACTION_LABELS

    app.jinja_env.globals.update(
        label=catalog.label, labels=catalog.labels, translated=catalog.translated, show_value=catalog.show_value,
        can=can, can_administer=can_administer, languages=catalog.LANGUAGES,
        field_labels=catalog.FIELD_LABELS, catalog_units=catalog.CLOCK_UNITS, event_labels=catalog.EVENT_LABELS,
        action_labels=ACTION_LABELS, current_locale=lambda: str(get_locale()),
        calendar_kinds=catalog.CALENDAR_KINDS, now_utc=utcnow)

    from deadlines.clocks import urgency
    from notify import unread_count
    from views import current_calendar
    app.jinja_env.globals["unread_count"] = unread_count

    @app.template_global()
    def complaint_url(number):
        """url_for("complaints.show", number=number), its prefix found once per request: the inbox,
        the wall and the callback queue link a complaint on every row, and url_for per row cost
        the router a call each."""
        if "complaint_url" not in g:
            g.complaint_url = url_for("complaints.show", number="-").rstrip("-")
        return g.complaint_url + quote(number, safe="")

    @app.template_global()
    def stalled_tasks():
        """Background tasks that stopped finishing runs (background.stalled), once per request."""
        if "stalled_tasks" not in g:
            g.stalled_tasks = background.stalled(utcnow(), timedelta(minutes=app.config["TASKS_STALLED_MINUTES"]))
        return g.stalled_tasks

    @app.template_global()
    def time_left_badge(due_at):
        """How a deadline stands now, as a badge ("overdue 2 working days", "3 h 10 min left").
        Python, not a macro: tables show one on every row, and a macro's call cost the inbox
        a fifth of its page."""
        u = urgency(due_at, utcnow(), current_calendar())
        if not u:
            return Markup("")
        state, minutes, days = u
        if state == "overdue":
            if days:
                text = (i18n.gettext("overdue %(days)s working days", days=days) if days > 1
                        else i18n.gettext("overdue 1 working day"))
            else:
                text = i18n.gettext("overdue %(h)s h %(m)s min", h=(-minutes) // 60, m=(-minutes) % 60)
        elif minutes >= 1440:
            text = i18n.gettext("%(d)s d %(h)s h left", d=minutes // 1440, h=(minutes % 1440) // 60)
        else:
            text = i18n.gettext("%(h)s h %(m)s min left", h=minutes // 60, m=minutes % 60)
        # (state is a code and the time digits: only the text needs escaping; Markup.format cost as much as the rest)
        return Markup(f'<span class="due due-{state}" title="{local(due_at)}">{escape(text)}</span>')


def _register_commands(app):
    import commands
    for command in commands.ALL:
        app.cli.add_command(command)


if __name__ == "__main__":  # pragma: no cover
    create_app().run()

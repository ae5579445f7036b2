"""Error pages: always the app's own, in the user's language.

A server error gets an id that is also in the log, so what staff read out on the
phone finds the traceback. A full disk, a read-only or a busy database is said
plainly. For an htmx request the answer is a small fragment that app.js shows.
"""
import errno
import logging
import secrets

from flask import g, render_template, request
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin, current_user
from werkzeug.exceptions import InternalServerError

log = logging.getLogger("complaints.errors")


def storage_problem(error):
    """"full", "read_only", "busy" or None: what the database or disk said, if anything.

    The whole chain is read: after "database or disk is full" SQLite has already
    rolled back, so the error that reaches us is peewee's failed ROLLBACK.
    """
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        text = str(error).lower()
        if (isinstance(error, OSError) and error.errno == errno.ENOSPC) or "database or disk is full" in text \
                or "no space left" in text:
            return "full"
        if "readonly database" in text or "read-only" in text:
            return "read_only"
        if "database is locked" in text:
            return "busy"
        error = error.__cause__ or error.__context__
    return None


def _messages():
    return {
        "full": (_("The server's disk is full"),
                 _("Nothing was saved. Tell the administrator: the disk of the server needs space "
                   "(old backups can be moved elsewhere).")),
        "read_only": (_("The database is read-only"),
                      _("Nothing was saved. Tell the administrator: the database file cannot be written.")),
        "busy": (_("The database was busy"), _("Nothing was saved. Try again in a moment.")),
        None: (_("Something went wrong"),
               _("Nothing was saved. If it happens again, tell the administrator the error number below.")),
    }


def page(title, message, status, error_id=None):
    """The error page, or its fragment for an htmx request; safe when the database is not."""
    _load_user_or_anonymous()
    template = "_error_fragment.html" if request.headers.get("HX-Request") and not request.headers.get(
        "HX-Boosted") else "errors.html"
    return render_template(template, title=title, message=message, error_id=error_id, plain=True), status


def _load_user_or_anonymous():
    """Load the user now, so a database that cannot be read gives an anonymous page, not a crash."""
    try:
        current_user._get_current_object()
    except Exception:  # the session lookup itself failed
        g._login_user = AnonymousUserMixin()


def register(app):
    @app.errorhandler(404)
    def not_found(error):
        return page(_("Not found"), _("There is nothing here, or it is not yours to see."), 404)

    @app.errorhandler(403)
    def forbidden(error):
        return page(_("Not allowed"), _("Your role does not allow this."), 403)

    @app.errorhandler(400)
    def bad_request(error):
        return page(_("Request refused"),
                    _("The form was out of date or incomplete. Go back, reload and try again."), 400)

    @app.errorhandler(405)
    def wrong_method(error):
        return page(_("Request refused"), _("This address does not take that kind of request."), 405)

    @app.errorhandler(413)
    def too_large(error):
        return page(_("Too large"), _("What was sent is larger than the server accepts. Nothing was saved."), 413)

    @app.errorhandler(InternalServerError)
    def server_error(error):
        original = getattr(error, "original_exception", None) or error
        error_id = secrets.token_hex(4).upper()
        log.error("error %s on %s %s", error_id, request.method, request.path, exc_info=original)
        problem = storage_problem(original)
        title, message = _messages()[problem]
        return page(title, message, 503 if problem else 500, error_id)

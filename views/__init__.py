"""Helpers shared by the blueprints."""
import re
from datetime import UTC
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import abort, current_app, g, make_response, render_template, request
from flask_login import current_user

import audit
from deadlines import calendar_days
from models import Bound, Complaint, kept
from permissions import can_view

# Browsers drop tabs and newlines anywhere in a URL, trim spaces and controls, and
# read "\\" as "/": any of these could turn "/\t/evil" into "//evil" after a check.
_UNSAFE_IN_PATH = re.compile(r"[\x00-\x20\x7f-\x9f\\]")


def local_path(target):
    """`target` when it is a path on this site (to go back to after a form), else None."""
    if target and target.startswith("/") and not target.startswith("//") and not _UNSAFE_IN_PATH.search(target):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return None


def is_fragment():
    """htmx asked for part of a page: not a boosted navigation, not a history restore."""
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


# A list's total is counted up to here ("more than 10,000"): counting costs what it counts.
COUNT_CAP = 10_000


def capped_count(query):
    """How many rows the query gives, counted no further than COUNT_CAP + 1."""
    return query.order_by().limit(COUNT_CAP + 1).count()


def render(template, fragment=None, status=200, **context):
    """The full page, or only its fragment when htmx asked for one."""
    chosen = fragment if fragment and is_fragment() else template
    return make_response(render_template(chosen, **context), status)


def deny(status=403):
    """Refuse, and keep a note of who tried what (the audit log)."""
    audit.record("denied", actor=current_user, target=f"{request.method} {request.path}")
    abort(status)


def abort_unless(allowed):
    """403 for an action the user may not take on a complaint they can see."""
    if not allowed:
        deny(403)


_numbered = kept(lambda: Complaint.select().where(Complaint.number == Bound("number")).limit(1))


def get_complaint_or_404(number):
    """The complaint with this number if the current user may see it; else 404."""
    complaint = _numbered.first(number=number)
    if complaint is None:
        abort(404)
    if not can_view(current_user, complaint):
        deny(404)  # the same answer as for no such complaint
    return complaint


def current_calendar():
    """The working-day calendar, read once per request."""
    if "calendar" not in g:
        g.calendar = calendar_days.load_calendar()
    return g.calendar


def _zone():
    return ZoneInfo(current_app.config["TIMEZONE"])


def to_local(value, zone=None):
    """A stored (naive UTC) time as the dealership's wall-clock time, naive."""
    return value.replace(tzinfo=UTC).astimezone(zone or _zone()).replace(tzinfo=None)


def to_utc(value):
    """A wall-clock time typed by staff as naive UTC, for storing."""
    return value.replace(tzinfo=_zone()).astimezone(UTC).replace(tzinfo=None)


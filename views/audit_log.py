"""The audit log, for the administrator to read; nobody can change it."""
import json
from datetime import time, timedelta

from flask import Blueprint, request, url_for
from flask_babel import gettext as _

from admin_forms import AuditFilter
from models import AuditEntry
from views import render, to_utc
from views.admin import admin_only
from views.inbox import ignored_filters

bp = Blueprint("audit_log", __name__, url_prefix="/admin")
PAGE = 100


@bp.get("/audit")
@admin_only
def index():
    """Entries newest first, filtered; paged by id, so each page costs what it shows."""
    form = AuditFilter(request.args)
    form.validate()
    rows = list(entries(form).order_by(AuditEntry.id.desc()).limit(PAGE + 1))
    older = None
    if len(rows) > PAGE:
        args = {k: v for k, v in request.args.items() if k != "before"}
        older = url_for("audit_log.index", before=rows[PAGE - 1].id, **args)
    return render("admin/audit.html", form=form, rows=rows[:PAGE], older=older, describe=describe,
                  ignored=ignored_filters(form))


def entries(form):
    query = AuditEntry.select()
    if form.action.data and not form.action.errors:
        query = query.where(AuditEntry.action == form.action.data)
    if form.user.data and not form.user.errors:
        query = query.where(AuditEntry.actor == int(form.user.data))
    if form.target.data and not form.target.errors:
        query = query.where((AuditEntry.target >= form.target.data) & (AuditEntry.target < form.target.data + "\uffff"))
    if form.since.data and not form.since.errors:
        query = query.where(AuditEntry.at >= to_utc(_midnight(form.since.data)))
    if form.until.data and not form.until.errors:
        query = query.where(AuditEntry.at < to_utc(_midnight(form.until.data + timedelta(days=1))))
    if form.before.data and not form.before.errors:
        query = query.where(AuditEntry.id < form.before.data)
    return query


def _midnight(day):
    from datetime import datetime
    return datetime.combine(day, time(0, 0))


def describe(entry):
    """The entry's detail as lines a person reads: "field: before → after"."""
    if not entry.detail:
        return []
    detail = json.loads(entry.detail)
    if set(detail) <= {"before", "after"}:
        before, after = detail.get("before") or {}, detail.get("after") or {}
        if not before:
            return [_("added: %(what)s", what=_plain(after))]
        if not after:
            return [_("removed: %(what)s", what=_plain(before))]
        detail = {k: [before.get(k), after.get(k)] for k in sorted(set(before) | set(after))
                  if before.get(k) != after.get(k)}
    return [f"{key}: {_value(change[0])} → {_value(change[1])}" if isinstance(change, list) and len(change) == 2
            else f"{key}: {_value(change)}" for key, change in detail.items()]


def _plain(facts):
    return ", ".join(f"{k}={_value(v)}" for k, v in facts.items()) if isinstance(facts, dict) else _value(facts)


def _value(value):
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)

"""The audit log: who did what, when and from where (AuditEntry).

Logins and failed logins, permission denials, password resets, changes to users,
rules, calendar and escalation settings (before -> after), exports, and every
opening of a complaint's page. One INSERT each; nobody edits it (the database
refuses updates, and deletes younger than a year). Changes to complaints
themselves are the complaint's events (workflow.py), not entries here.

Failed logins counted here also limit login attempts, per user name and per
client address, shared by every thread and process of the server.
"""
import json
import logging
from datetime import timedelta

from flask import has_request_context, request

from models import AuditEntry, utcnow

log = logging.getLogger("complaints.audit")

ACTIONS = (
    "login", "login_failed", "login_refused", "logout", "denied", "password_reset", "password_changed",
    "user_created", "user_changed", "department_changed", "rule_changed", "calendar_changed",
    "escalation_changed", "dealership_changed", "complaint_viewed", "complaint_printed", "attachment_downloaded",
    "export",
)


def client_ip():
    return (request.remote_addr or "")[:45] if has_request_context() else ""


def record(action, actor=None, target="", detail=None, actor_name=None, now=None):
    """Write one entry; `actor` is a User (or the current user), `actor_name` a typed name."""
    if actor is not None and not getattr(actor, "is_authenticated", True):
        actor = None  # an anonymous visitor
    if actor_name is None:
        actor_name = actor.username if actor is not None else ""
    AuditEntry.create(at=now or utcnow(), actor=actor.id if actor is not None else None,
                      actor_name=actor_name[:40], ip=client_ip(), action=action, target=str(target)[:120],
                      detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else "")
    if action.startswith("login") or action == "denied":
        log.warning("%s %s from %s %s", action, actor_name, client_ip(), target)


def changes(before, after):
    """{field: [before, after]} for what differs; the detail of a settings change."""
    return {k: [before.get(k), after.get(k)] for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)}


def login_locked_until(username, ip, now, window, per_name, per_address):
    """When a login for this name from this address may be tried again; None when it may now.

    A name is locked after `per_name` failures within `window` since its last
    successful login (so unknown and known names behave alike); an address after
    `per_address` failures within `window`, whatever the names.
    """
    since = now - window
    name = AuditEntry.actor_name == username[:40]
    last_ok = (AuditEntry.select(AuditEntry.at)
               .where((AuditEntry.action == "login") & name & (AuditEntry.at > since))
               .order_by(AuditEntry.at.desc()).first())
    times = [_locked(name, last_ok.at if last_ok else since, per_name, window)]
    if ip:
        times.append(_locked(AuditEntry.ip == ip, since, per_address, window))
    times = [t for t in times if t]
    return max(times) if times else None


def _locked(who, since, limit, window):
    recent = [e.at for e in AuditEntry.select(AuditEntry.at)
              .where((AuditEntry.action == "login_failed") & who & (AuditEntry.at > since))
              .order_by(AuditEntry.at.desc()).limit(limit)]
    return recent[-1] + window if len(recent) >= limit else None


def prune(now, keep_days):
    """Delete entries older than keep_days (never less than a year)."""
    cutoff = now - timedelta(days=max(keep_days, 366))
    return AuditEntry.delete().where(AuditEntry.at < cutoff).execute()

"""Delivery of notifications: in-app (the bell), e-mail over SMTP, and webhooks
(WeChat Work / DingTalk group robots, or plain JSON).

Notifications are written with the change or sweep that causes them; e-mail
and webhook messages go to the outbox and a task sends them, retrying with
back-off, so a dead mail server delays mail and loses none. Each person chooses
e-mail; robots and webhooks are the administrator's, one per department
(outbound.py decides which addresses the server may post to).

Messages to different targets go out side by side, each with short timeouts, so
one robot that hangs holds up nothing else.
"""
import functools
import json
import smtplib
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from email.message import EmailMessage

from babel import Locale
from flask import current_app, has_app_context
from flask_babel import force_locale
from peewee import fn

import catalog
import outbound
from i18n import gettext as _
from i18n import lazy_gettext as _l
from models import Bound, Ids, Notification, Outbox, User, WriterTurns, bulk_insert, db, kept

WEBHOOK_FORMATS = ("wecom", "dingtalk", "json")
MAX_BACKOFF_MINUTES = 60


def config(name, default=None):
    return current_app.config.get(name, default) if has_app_context() else default


def smtp_configured():
    return bool(config("SMTP_HOST"))


class Batch:
    """Notifications and outbox rows gathered during one change, written together.

    One notification per person, complaint and kind: a complaint late on two deadlines at
    once tells each person once (about the deadline due first), and newer news replaces
    what the person has not read yet about the same complaint."""

    def __init__(self, now, calendar, departments=None):
        self.now, self.calendar = now, calendar
        self.departments = departments  # {id: Department} when the caller has them already
        self.notifications, self.outbox = [], []
        self._told = {}  # (user id, complaint id, kind) -> (the clock told about, its notification row)
        self._robots_told = set()
        self.email_on = smtp_configured()  # once, not per recipient: a sweep adds thousands

    def add(self, users, complaint, clock, kind, urgent=False):
        for user in users:
            key = (user.id, complaint.id, kind)
            if key in self._told:
                self._keep_earliest(key, clock)
                continue
            row = {"user": user.id, "complaint": complaint.id, "clock": clock.id if clock else None,
                   "call": None, "action": None, "kind": kind, "created_at": self.now, "urgent": urgent}
            self._told[key] = (clock, row)
            self.notifications.append(row)
            if not user.digest:
                self._personal(user, complaint, clock, kind, urgent)
        department = (self.departments.get(complaint.department_id) if self.departments is not None
                      else complaint.department)
        if department is not None and department.webhook_url and (complaint.id, kind) not in self._robots_told:
            self._robots_told.add((complaint.id, kind))
            self._queue("webhook", department.webhook_url, complaint, clock, kind, urgent, "zh_CN",
                        department.webhook_format or "json", department.webhook_allow_lan)

    def _keep_earliest(self, key, clock):
        """Of two deadlines behind one notification, name the one due first."""
        told, row = self._told[key]
        if clock is not None and told is not None and clock.due_at < told.due_at:
            self._told[key] = (clock, row)
            row["clock"] = clock.id

    def add_call(self, users, call, level, urgent=False):
        """A call's reminder or escalation: under the bell, and by e-mail for whoever chose it."""
        self._add_other(users, {"call": call.id}, level, urgent,
                        lambda language: call_message(level, call, language, self.calendar))

    def add_action(self, users, action, level, urgent=False):
        """An improvement action's reminder or escalation, as for a call."""
        self._add_other(users, {"action": action.id}, level, urgent,
                        lambda language: action_message(level, action, language, self.calendar))

    def _add_other(self, users, about, level, urgent, compose):
        for user in users:
            self.notifications.append({"user": user.id, "complaint": None, "clock": None, "call": None,
                                       "action": None, **about, "kind": level, "created_at": self.now,
                                       "urgent": urgent})
            if not user.digest and user.email and level in user.email_kinds.split(",") and self.email_on:
                subject, body = compose(user.language)
                self.outbox.append({"channel": "email", "target": user.email, "subject": subject, "body": body,
                                    "webhook_format": "", "allow_lan": False, "created_at": self.now,
                                    "send_after": self.now if urgent else self.calendar.next_working_moment(self.now)})

    def _personal(self, user, complaint, clock, kind, urgent):
        if user.email and kind in user.email_kinds.split(",") and self.email_on:
            self._queue("email", user.email, complaint, clock, kind, urgent, user.language)

    def _queue(self, channel, target, complaint, clock, kind, urgent, language, webhook_format="", allow_lan=False):
        subject, body = message(kind, complaint, clock, language, self.calendar)
        # Reminders wait for working hours; an overdue or unhappy customer does not.
        send_after = self.now if urgent else self.calendar.next_working_moment(self.now)
        self.outbox.append({"channel": channel, "target": target, "subject": subject, "body": body,
                            "webhook_format": webhook_format, "allow_lan": allow_lan, "created_at": self.now,
                            "send_after": send_after})

    def write(self):
        _replace_unread(self.notifications)
        bulk_insert(Notification, self.notifications)
        bulk_insert(Outbox, self.outbox)


def _replace_unread(rows):
    """News a person has not yet read about the same complaint gives way to the newer news
    (the latest deadline, at the top of the list), so the bell counts complaints, not clocks."""
    complaint_rows = [r for r in rows if r.get("complaint")]
    for start in range(0, len(complaint_rows), 500):
        chunk = complaint_rows[start:start + 500]
        keys = {(r["user"], r["complaint"], r["kind"]) for r in chunk}
        older = (Notification.select(Notification.id, Notification.user, Notification.complaint, Notification.kind)
                 .where(Notification.read_at.is_null()
                        & Notification.complaint.in_(Ids({r["complaint"] for r in chunk}))
                        & Notification.user.in_(Ids({r["user"] for r in chunk}))).tuples())
        stale = [id_ for id_, user, complaint, kind in older if (user, complaint, kind) in keys]
        if stale:
            Notification.delete().where(Notification.id.in_(Ids(stale))).execute()


def message(kind, complaint, clock, language, calendar):
    """Subject and body in the recipient's language."""
    with _locale(language):
        values = {"number": complaint.number, "customer": complaint.customer_name,
                  "clock": catalog.label("clock", clock.kind) if clock else "",
                  "due": calendar.local(clock.due_at).strftime("%Y-%m-%d %H:%M") if clock else ""}
        if kind == "at_once" and complaint.category == "product_quality":
            kind = "at_once_quality"
        subject = str(SUBJECTS[kind]) % values
        body = "\n".join([subject, _("Customer: %(customer)s", **values), _link(complaint)])
    return subject, body


# Only the subject a message needs is translated: a sweep writes thousands of them.
SUBJECTS = {
    "before": _l("Reminder: %(number)s is due tomorrow (%(clock)s)"),
    "due_day": _l("Due today: %(number)s (%(clock)s by %(due)s)"),
    "overdue": _l("Overdue: %(number)s (%(clock)s was due %(due)s)"),
    "unhappy": _l("Customer still unhappy after the callback: %(number)s reopened"),
    "dispatched": _l("%(number)s is for your department: acknowledge receipt"),
    "approval": _l("%(number)s: compensation waits for your approval"),
    "at_once": _l("Major complaint: %(number)s, for the general manager at once"),
    "at_once_quality": _l("New-car product quality: %(number)s, for the general manager at once"),
}
CALL_SUBJECTS = {
    "before": _l("Call due tomorrow: %(call)s, %(customer)s"),
    "due_day": _l("Call due today: %(call)s, %(customer)s (by %(due)s)"),
    "overdue": _l("Call overdue: %(call)s, %(customer)s (was due %(due)s)"),
}
ACTION_SUBJECTS = {
    "before": _l("Improvement action due tomorrow: %(what)s"),
    "due_day": _l("Improvement action due today: %(what)s"),
    "overdue": _l("Improvement action overdue (was due %(due)s): %(what)s"),
}


def call_message(level, call, language, calendar):
    """Subject and body of a call's reminder, in the recipient's language."""
    with _locale(language):
        values = {"call": catalog.label("call_kind", call.kind), "customer": call.customer_name,
                  "phone": call.customer_phone, "due": calendar.local(call.due_at).strftime("%Y-%m-%d %H:%M")}
        subject = str(CALL_SUBJECTS[level]) % values
        body = "\n".join([subject, _("Phone: %(phone)s", **values), _call_link(call)])
    return subject, body


def action_message(level, action, language, calendar):
    """Subject and body of an improvement action's reminder, in the recipient's language."""
    with _locale(language):
        values = {"what": action.description[:60], "due": action.due_on.isoformat()}
        subject = str(ACTION_SUBJECTS[level]) % values
        base = (config("PUBLIC_URL") or "").rstrip("/")
        body = "\n".join([subject, f"{base}/actions/{action.id}"])
    return subject, body


def _call_link(call):
    base = (config("PUBLIC_URL") or "").rstrip("/")
    return f"{base}/callbacks?call={call.id}"


class _locale:
    """Translate into `language` when there is an app to hold the catalogs."""

    def __init__(self, language):
        self.inner = force_locale(_parsed(language)) if has_app_context() else None

    def __enter__(self):
        return self.inner.__enter__() if self.inner else None

    def __exit__(self, *exc):
        return self.inner.__exit__(*exc) if self.inner else None


@functools.cache
def _parsed(language):
    """The parsed locale, once per language: parsing it took most of a sweep's e-mail time."""
    return Locale.parse(language)


def _link(complaint):
    base = (config("PUBLIC_URL") or "").rstrip("/")
    return f"{base}/complaints/{complaint.number}" if base else f"/complaints/{complaint.number}"


_unread = kept(lambda: Notification.select(fn.COUNT(Notification.id))
               .where((Notification.user == Bound("user")) & Notification.read_at.is_null()).tuples())


def unread_count(user):
    return _unread.first(user=user)[0]


PRUNE_BATCH = 5000


def prune(now, keep_days):
    """Delete notifications read more than keep_days ago, and messages sent as long ago; unread
    ones stay. In batches with turns for other writers: the first night after an upgrade may
    find hundreds of thousands (a care manager gets a hundred a day)."""
    cutoff = now - timedelta(days=keep_days)
    gone, turns = 0, WriterTurns()
    for model, old in ((Notification, Notification.read_at < cutoff), (Outbox, Outbox.sent_at < cutoff)):
        while True:
            with db.atomic():
                ids = [row_id for row_id, in model.select(model.id).where(old).limit(PRUNE_BATCH).tuples()]
                if ids:
                    model.delete().where(model.id.in_(ids)).execute()
            gone += len(ids)
            if len(ids) < PRUNE_BATCH:
                break
            turns.between_transactions()
    return gone


# -- sending ------------------------------------------------------------------

SENDING = ("SMTP_HOST", "SMTP_PORT", "SMTP_SECURITY", "SMTP_USER", "SMTP_PASSWORD", "MAIL_FROM",
           "WEBHOOK_TIMEOUT", "WEBHOOK_ALLOWED_NETWORKS", "DELIVERY_SECONDS")
SENDERS_AT_ONCE = 8


def deliver(now, limit=200):
    """Send what is due from the outbox; failures wait longer each time, never dropped.

    Messages are grouped by target and the groups go out side by side. Within a
    group they go in order until one fails (the rest wait for the next run), and
    no group starts a message once the run has used its time.
    """
    pending = list(Outbox.select().where(Outbox.sent_at.is_null() & (Outbox.send_after <= now))
                   .order_by(Outbox.send_after, Outbox.id).limit(limit))
    settings = {name: config(name) for name in SENDING}  # the worker threads have no app context
    groups = {}
    for item in pending:
        groups.setdefault((item.channel, item.target), []).append(item)
    stop_at = time.monotonic() + (settings["DELIVERY_SECONDS"] or 40)
    outcomes = {}
    if groups:
        with ThreadPoolExecutor(max_workers=min(SENDERS_AT_ONCE, len(groups))) as pool:
            for result in pool.map(lambda items: _send_in_order(items, settings, stop_at), groups.values()):
                outcomes.update(result)
    return _record_outcomes(pending, outcomes, now)


def _send_in_order(items, settings, stop_at):
    """{item id: None when sent, else the error}; items not tried are left out."""
    outcomes = {}
    for item in items:
        if time.monotonic() > stop_at:
            break
        try:
            (_send_email if item.channel == "email" else _send_webhook)(item, settings)
        except Exception as error:  # any failure: keep it, try again later
            outcomes[item.id] = error
            break
        outcomes[item.id] = None
    return outcomes


def _record_outcomes(pending, outcomes, now):
    report = {"sent": 0, "failed": 0}
    with db.atomic():
        for item in pending:
            if item.id not in outcomes:
                continue
            error = outcomes[item.id]
            if error is None:
                item.sent_at = now
                report["sent"] += 1
            else:
                item.attempts += 1
                item.last_error = f"{type(error).__name__}: {error}"[:1000]
                item.send_after = now + timedelta(minutes=min(2 ** item.attempts, MAX_BACKOFF_MINUTES))
                report["failed"] += 1
            item.save()
    return report


def _send_email(item, settings):
    mail = EmailMessage()
    mail["From"] = settings["MAIL_FROM"] or settings["SMTP_USER"] or "complaints@localhost"
    mail["To"] = item.target
    mail["Subject"] = item.subject
    mail.set_content(item.body)
    host, port = settings["SMTP_HOST"], int(settings["SMTP_PORT"] or 25)
    security = settings["SMTP_SECURITY"] or "none"
    smtp_class = smtplib.SMTP_SSL if security == "ssl" else smtplib.SMTP
    with smtp_class(host, port, timeout=settings["WEBHOOK_TIMEOUT"] or 10) as smtp:
        if security == "starttls":
            smtp.starttls()
        if settings["SMTP_USER"]:
            smtp.login(settings["SMTP_USER"], settings["SMTP_PASSWORD"] or "")
        smtp.send_message(mail)


def webhook_payload(item):
    if item.webhook_format in ("wecom", "dingtalk"):
        # Both group robots take the same plain-text message shape.
        return {"msgtype": "text", "text": {"content": item.body}}
    return {"subject": item.subject, "text": item.body}


def _send_webhook(item, settings):
    answer = outbound.post_json(item.target, json.dumps(webhook_payload(item), ensure_ascii=False).encode(),
                                timeout=settings["WEBHOOK_TIMEOUT"] or 5, allow_lan=item.allow_lan,
                                allowed_networks=settings["WEBHOOK_ALLOWED_NETWORKS"] or ())
    if item.webhook_format in ("wecom", "dingtalk"):
        # Robots answer 200 with an error code when they refuse a message.
        code = json.loads(answer or b"{}").get("errcode", 0)
        if code:
            raise RuntimeError(f"robot refused the message: errcode {code}")


def send_digests(now, calendar):
    """Once a working day, one summary for each user who chose a digest."""
    if not calendar.is_working_time(now):
        return 0
    today = calendar.local_day(now)
    made = 0
    for user in User.select().where(User.digest & User.active):
        if user.last_digest_at and calendar.local_day(user.last_digest_at) >= today:
            continue
        since = user.last_digest_at or now - timedelta(days=1)
        items = list(Notification.select().where((Notification.user == user) & (Notification.created_at > since))
                     .order_by(Notification.created_at))
        if items:
            _queue_digest(user, items, now, calendar)
            made += 1
        User.update(last_digest_at=now).where(User.id == user.id).execute()
    return made


def _queue_digest(user, items, now, calendar):
    lines = []
    for n in items:
        if n.complaint_id:
            lines.append(message(n.kind, n.complaint, n.clock, user.language, calendar)[0])
        elif n.action_id:
            lines.append(action_message(n.kind, n.action, user.language, calendar)[0])
        else:
            lines.append(call_message(n.kind, n.call, user.language, calendar)[0])
    with _locale(user.language):
        subject = str(_("Daily summary: %(count)s complaint notifications", count=len(items)))
    body = "\n".join([subject, ""] + lines)
    if user.email and smtp_configured():
        Outbox.create(channel="email", target=user.email, subject=subject, body=body, created_at=now, send_after=now)

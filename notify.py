"""Delivery of notifications: in-app (the bell), e-mail over SMTP, and webhooks
(WeChat Work / DingTalk group robots, or plain JSON).

Notifications are written with the change or sweep that causes them; e-mail
and webhook messages go to the outbox and a task sends them, retrying with
back-off, so a dead mail server delays mail and loses none.
"""
import json
import smtplib
import urllib.request
from datetime import timedelta
from email.message import EmailMessage

from flask import current_app, has_app_context
from flask_babel import force_locale
from flask_babel import gettext as _

import catalog
from models import Notification, Outbox, User, bulk_insert, db

WEBHOOK_FORMATS = ("wecom", "dingtalk", "json")
MAX_BACKOFF_MINUTES = 60


def config(name, default=None):
    return current_app.config.get(name, default) if has_app_context() else default


def smtp_configured():
    return bool(config("SMTP_HOST"))


class Batch:
    """Notifications and outbox rows gathered during one change, written together."""

    def __init__(self, now, calendar, departments=None):
        self.now, self.calendar = now, calendar
        self.departments = departments  # {id: Department} when the caller has them already
        self.notifications, self.outbox = [], []

    def add(self, users, complaint, clock, kind, urgent=False):
        for user in users:
            self.notifications.append({"user": user.id, "complaint": complaint.id, "clock": clock.id if clock else None,
                                       "kind": kind, "created_at": self.now, "urgent": urgent})
            if not user.digest:
                self._personal(user, complaint, clock, kind, urgent)
        department = (self.departments.get(complaint.department_id) if self.departments is not None
                      else complaint.department)
        if department is not None and department.webhook_url:
            self._queue("webhook", department.webhook_url, complaint, clock, kind, urgent, "zh_CN",
                        department.webhook_format or "json")

    def _personal(self, user, complaint, clock, kind, urgent):
        if user.email and kind in user.email_kinds.split(",") and smtp_configured():
            self._queue("email", user.email, complaint, clock, kind, urgent, user.language)
        if user.webhook_url and kind in user.webhook_kinds.split(","):
            self._queue("webhook", user.webhook_url, complaint, clock, kind, urgent, user.language,
                        user.webhook_format or "json")

    def _queue(self, channel, target, complaint, clock, kind, urgent, language, webhook_format=""):
        subject, body = message(kind, complaint, clock, language, self.calendar)
        # Reminders wait for working hours; an overdue or unhappy customer does not.
        send_after = self.now if urgent else self.calendar.next_working_moment(self.now)
        self.outbox.append({"channel": channel, "target": target, "subject": subject, "body": body,
                            "webhook_format": webhook_format, "created_at": self.now, "send_after": send_after})

    def write(self):
        bulk_insert(Notification, self.notifications)
        bulk_insert(Outbox, self.outbox)


def message(kind, complaint, clock, language, calendar):
    """Subject and body in the recipient's language."""
    values = {"number": complaint.number, "customer": complaint.customer_name,
              "clock": catalog.label("clock", clock.kind) if clock else "",
              "due": calendar.local(clock.due_at).strftime("%Y-%m-%d %H:%M") if clock else ""}
    with _locale(language):
        subjects = {
            "before": _("Reminder: %(number)s is due tomorrow (%(clock)s)", **values),
            "due_day": _("Due today: %(number)s (%(clock)s by %(due)s)", **values),
            "overdue": _("Overdue: %(number)s (%(clock)s was due %(due)s)", **values),
            "unhappy": _("Customer still unhappy after the callback: %(number)s reopened", **values),
        }
        subject = str(subjects[kind])
        body = "\n".join([subject, _("Customer: %(customer)s", **values), _link(complaint)])
    return subject, body


class _locale:
    """Translate into `language` when there is an app to hold the catalogs."""

    def __init__(self, language):
        self.inner = force_locale(language) if has_app_context() else None

    def __enter__(self):
        return self.inner.__enter__() if self.inner else None

    def __exit__(self, *exc):
        return self.inner.__exit__(*exc) if self.inner else None


def _link(complaint):
    base = (config("PUBLIC_URL") or "").rstrip("/")
    return f"{base}/complaints/{complaint.number}" if base else f"/complaints/{complaint.number}"


def unread_count(user):
    return Notification.select().where((Notification.user == user) & Notification.read_at.is_null()).count()


# -- sending ------------------------------------------------------------------

def deliver(now, limit=200):
    """Send what is due from the outbox; failures wait longer each time, never dropped."""
    pending = list(Outbox.select().where(Outbox.sent_at.is_null() & (Outbox.send_after <= now))
                   .order_by(Outbox.send_after).limit(limit))
    report = {"sent": 0, "failed": 0}
    for item in pending:
        try:
            (_send_email if item.channel == "email" else _send_webhook)(item)
        except Exception as error:  # any failure: keep it, try again later
            item.attempts += 1
            item.last_error = f"{type(error).__name__}: {error}"[:1000]
            item.send_after = now + timedelta(minutes=min(2 ** item.attempts, MAX_BACKOFF_MINUTES))
            report["failed"] += 1
        else:
            item.sent_at = now
            report["sent"] += 1
        with db.atomic():
            item.save()
    return report


def _send_email(item):
    mail = EmailMessage()
    mail["From"] = config("MAIL_FROM") or config("SMTP_USER") or "complaints@localhost"
    mail["To"] = item.target
    mail["Subject"] = item.subject
    mail.set_content(item.body)
    host, port = config("SMTP_HOST"), int(config("SMTP_PORT") or 25)
    security = config("SMTP_SECURITY") or "none"
    smtp_class = smtplib.SMTP_SSL if security == "ssl" else smtplib.SMTP
    with smtp_class(host, port, timeout=20) as smtp:
        if security == "starttls":
            smtp.starttls()
        if config("SMTP_USER"):
            smtp.login(config("SMTP_USER"), config("SMTP_PASSWORD") or "")
        smtp.send_message(mail)


def webhook_payload(item):
    if item.webhook_format in ("wecom", "dingtalk"):
        # Both group robots take the same plain-text message shape.
        return {"msgtype": "text", "text": {"content": item.body}}
    return {"subject": item.subject, "text": item.body}


def _send_webhook(item):
    request = urllib.request.Request(
        item.target, data=json.dumps(webhook_payload(item), ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = response.read()
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
        lines.append(message(n.kind, n.complaint, n.clock, user.language, calendar)[0])
    with _locale(user.language):
        subject = str(_("Daily summary: %(count)s complaint notifications", count=len(items)))
    body = "\n".join([subject, ""] + lines)
    rows = []
    if user.email and smtp_configured():
        rows.append({"channel": "email", "target": user.email})
    if user.webhook_url:
        rows.append({"channel": "webhook", "target": user.webhook_url, "webhook_format": user.webhook_format})
    for row in rows:
        Outbox.create(subject=subject, body=body, created_at=now, send_after=now, **row)

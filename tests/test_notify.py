"""Delivery from the outbox to a real local SMTP server and a local webhook receiver."""
import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from aiosmtpd.controller import Controller
from helpers import sh

import notify
import workflow
from models import Notification, Outbox, User
from workdays import Calendar

NOW = sh(2026, 11, 20, 10, 0)  # a Friday morning


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_SECURITY="none", MAIL_FROM="desk@dealer.test")
    yield inbox
    controller.stop()


@pytest.fixture
def webhook_receiver():
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, json.loads(body)))
            answer = b'{"errcode": 0}' if self.path != "/refuse" else b'{"errcode": 93000}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", received
    server.shutdown()


def overdue_complaint(app, make_complaint):
    """A product-quality complaint two hours late, swept."""
    make_complaint(by="advisor", now=NOW - timedelta(hours=4), category="product_quality")
    with app.app_context():
        workflow.sweep(NOW)


def test_overdue_email_arrives_in_a_real_smtp_server(app, smtp, make_complaint, staff):
    User.update(email="gm@dealer.test", email_kinds="overdue", language="zh_CN").where(User.username == "gm").execute()
    overdue_complaint(app, make_complaint)
    with app.app_context():
        assert notify.deliver(NOW) == {"sent": 1, "failed": 0}
    (recipients, content), = smtp.messages
    assert recipients == ["gm@dealer.test"]
    assert "TS-2026-0001" in content and "desk@dealer.test" in content
    assert Outbox.get().sent_at == NOW


def test_a_dead_smtp_server_delays_mail_and_loses_none(app, smtp, make_complaint, staff):
    User.update(email="gm@dealer.test", email_kinds="overdue").where(User.username == "gm").execute()
    overdue_complaint(app, make_complaint)
    real_port = app.config["SMTP_PORT"]
    app.config["SMTP_PORT"] = free_port()  # nothing listens there
    with app.app_context():
        assert notify.deliver(NOW)["failed"] == 1
        item = Outbox.get()
        assert item.sent_at is None and item.attempts == 1 and item.send_after == NOW + timedelta(minutes=2)
        assert notify.deliver(NOW + timedelta(minutes=1)) == {"sent": 0, "failed": 0}  # backing off
        notify.deliver(NOW + timedelta(minutes=2))
        assert Outbox.get().send_after == NOW + timedelta(minutes=6)  # 4 minutes after the 2nd failure
        app.config["SMTP_PORT"] = real_port
        assert notify.deliver(NOW + timedelta(minutes=6)) == {"sent": 1, "failed": 0}
    assert len(smtp.messages) == 1


def test_webhooks_in_wecom_dingtalk_and_json(app, make_complaint, staff, webhook_receiver):
    base, received = webhook_receiver
    for name, fmt in (("gm", "wecom"), ("care", "dingtalk")):
        User.update(webhook_url=f"{base}/{fmt}", webhook_format=fmt, webhook_kinds="overdue").where(
            User.username == name).execute()
    staff["service_mgr"].department.webhook_url = f"{base}/dept"
    staff["service_mgr"].department.webhook_format = "json"
    staff["service_mgr"].department.save()
    overdue_complaint(app, make_complaint)
    with app.app_context():
        assert notify.deliver(NOW)["sent"] == 4  # gm, care; the department robot for due_day and overdue
    by_path = {}
    for path, body in received:
        by_path.setdefault(path, []).append(body)
    assert by_path["/wecom"][0]["msgtype"] == "text" and "TS-2026-0001" in by_path["/wecom"][0]["text"]["content"]
    assert by_path["/dingtalk"][0]["msgtype"] == "text"
    assert {"subject", "text"} <= set(by_path["/dept"][0])


def test_a_robot_that_refuses_is_retried(app, make_complaint, staff, webhook_receiver):
    base, _received = webhook_receiver
    User.update(webhook_url=f"{base}/refuse", webhook_format="wecom", webhook_kinds="overdue").where(
        User.username == "gm").execute()
    overdue_complaint(app, make_complaint)
    with app.app_context():
        assert notify.deliver(NOW) == {"sent": 0, "failed": 1}
    assert "93000" in Outbox.get().last_error


def test_a_digest_user_gets_one_summary_a_day(app, smtp, make_complaint, staff):
    User.update(email="gm@dealer.test", email_kinds="overdue", digest=True).where(User.username == "gm").execute()
    overdue_complaint(app, make_complaint)
    assert not Outbox.select().where(Outbox.target == "gm@dealer.test").exists()  # no single alert
    calendar = Calendar()
    with app.app_context():
        assert notify.send_digests(NOW, calendar) == 1
        assert notify.send_digests(NOW + timedelta(hours=1), calendar) == 0  # once a day
        notify.deliver(NOW + timedelta(hours=1))
    (recipients, content), = smtp.messages
    assert recipients == ["gm@dealer.test"] and "TS-2026-0001" in content


def test_nothing_is_queued_for_email_without_smtp(app, make_complaint, staff):
    User.update(email="gm@dealer.test", email_kinds="overdue").where(User.username == "gm").execute()
    overdue_complaint(app, make_complaint)
    assert Notification.select().where(Notification.user == staff["gm"]).count() == 1
    assert Outbox.select().count() == 0

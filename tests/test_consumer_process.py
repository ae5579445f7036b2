"""The real task consumer, as `make run` starts it, killed in the middle of a sweep.

A consumer killed with SIGKILL (or stopped by SIGTERM) while it runs the
deadline sweep must not stop reminders for good: the next consumer takes the
sweep over by itself, and every escalation arrives exactly once.
"""
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

from helpers import ROOT
from peewee import chunked

from models import Clock, Complaint, Escalation, Notification, TaskRun, User, db, utcnow

OVERDUE = 20_000  # enough that one sweep takes seconds, so it can be killed halfway


def make_overdue_complaints(count):
    """`count` open complaints, each with a completion deadline ten days past.

    Due at 15:00 in Shanghai, inside opening hours, and started two weeks before it, so
    that whatever the time of day and whatever holidays came before, each deadline has
    all three steps: the day before, the due day and overdue."""
    care = User.get(User.username == "care")
    now = utcnow()
    due = (now - timedelta(days=10)).replace(hour=7, minute=0, second=0, microsecond=0)
    started = due - timedelta(days=15)
    complaints = [{"number": f"TS-2026-{i:06d}", "received_at": started,
                   "registered_at": started, "registered_by": care.id, "channel": "phone",
                   "business_line": "after_sales", "customer_name": f"客户{i}", "customer_phone": "13812345678",
                   "category": "repair_quality", "demand": "free_repair", "severity": "general",
                   "description": "x", "status": "in_progress", "updated_at": now, "next_due_at": due}
                  for i in range(count)]
    with db.atomic():
        for batch in chunked(complaints, 40):
            Complaint.insert_many(batch).execute()
        ids = [c.id for c in Complaint.select(Complaint.id)]
        clocks = [{"complaint": cid, "kind": "completion", "started_at": started,
                   "original_due_at": due, "due_at": due, "next_step_at": due - timedelta(days=1),
                   "next_level": "before"} for cid in ids]
        for batch in chunked(clocks, 100):
            Clock.insert_many(batch).execute()


def start_consumer(app, tmp_path, log_name):
    """The consumer on the test's own database (and on Redis when HUEY_URL says so)."""
    env = {**os.environ, "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": app.config["DATABASE_URL"],
           "PYTHONUNBUFFERED": "1"}
    log = open(tmp_path / log_name, "w")
    process = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "huey_consumer"), "tasks.huey",
         "--workers", "2", "--worker-type", "thread"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    return process, tmp_path / log_name


def wait_for(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"gave up waiting for {what}")


def sweep_holder():
    db.close()
    db.connect()
    row = TaskRun.get_or_none(TaskRun.name == "deadline-sweep")
    return row.holder if row else ""


def counts():
    db.close()  # a fresh read of what the consumer committed
    db.connect()
    sent = Escalation.select().where(~Escalation.skipped).count()
    return sent, Escalation.select().count(), Notification.select().count()


def test_a_consumer_killed_mid_sweep_is_replaced_and_escalations_arrive_once(app, staff, tmp_path):
    make_overdue_complaints(OVERDUE)
    first, first_log = start_consumer(app, tmp_path, "first.log")
    try:
        # The sweep is periodic on the minute (crontab): the first starts at the next minute, up to a
        # minute after the consumer, and then builds the app; 60 s here failed when the consumer
        # started just after a minute on a busy machine.
        wait_for(lambda: f":{first.pid}:" in sweep_holder(), 120, "the first sweep to start")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        first.kill()
    # The sweep had not finished: the dead consumer still holds it, and not every deadline has its escalation
    # (the sweep commits in batches, so some may have gone out before the kill).
    assert f":{first.pid}:" in sweep_holder()
    assert counts()[0] < OVERDUE, "the kill came after the sweep had finished: the test proves nothing"

    second, second_log = start_consumer(app, tmp_path, "second.log")
    try:
        # (its sweep also waits for the next minute, then takes the 20,000 deadlines)
        wait_for(lambda: counts()[0] == OVERDUE, 150, "the next consumer's escalations")
        time.sleep(1)  # anything sent twice would show now
        sent, written, notified = counts()
        assert sent == OVERDUE  # one overdue escalation per late deadline
        assert written == 3 * OVERDUE  # the day-before and due-day steps recorded as skipped, once
        assert notified == 2 * OVERDUE  # the care manager and the general manager, once each
    finally:
        second.send_signal(signal.SIGINT)
        second.wait(20)
    log = second_log.read_text()
    assert "taking over the lease" in log and "Traceback" not in log and "locked" not in log, log

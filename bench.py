"""`make bench`: how the inbox behaves with 100,000 complaints.

Builds a throwaway database in a temporary folder (bulk insert, ~90% closed
as in a dealership after a few years), then times the inbox as staff use it,
through the real Flask views. Prints figures; asserts nothing.
"""
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta

from peewee import chunked

import accounts
import catalog
from app import create_app
from deadlines import calendar_days, ladder
from models import Clock, Complaint, Department, Notification, User, db, refresh_statistics, utcnow

TOTAL = int(os.environ.get("BENCH_COMPLAINTS", "100000"))
RUNS = 20


def build(rng):
    accounts.ensure_departments()
    depts = {d.code: d for d in Department.select()}
    care = accounts.create_user("care", "Care", ["care_manager"], "bench-password")
    accounts.create_user("svc", "Service", ["department_manager"], "bench-password", department=depts["after_sales"])
    accounts.create_user("front", "Front", ["front_line"], "bench-password", department=depts["sales"])
    start = datetime(2022, 1, 1)
    rows = []
    for i in range(TOTAL):
        category = rng.choice(catalog.codes("category"))
        dept = catalog.ROUTED_TO[category]
        received = start + timedelta(minutes=i * 25)
        rows.append({
            "number": f"TS-{received.year}-{i:06d}", "received_at": received, "registered_at": received,
            "registered_by": care.id, "channel": rng.choice(catalog.codes("channel")), "business_line": "sales",
            "customer_name": f"客户{i}", "customer_phone": f"13{rng.randint(100000000, 999999999)}",
            "vin": f"LSV{i:014d}", "plate": f"沪A{i % 100000:05d}", "category": category, "demand": "other",
            "severity": rng.choice(catalog.codes("severity")), "description": "x",
            "department": depts[dept].id if dept else None,
            "status": "closed" if rng.random() < 0.9 else rng.choice(["registered", "in_progress"]),
            "updated_at": received,
        })
    with db.atomic():
        for batch in chunked(rows, 40):  # SQLite allows ~999 variables per statement
            Complaint.insert_many(batch).execute()
    refresh_statistics()
    return rows


def timed(client, url):
    samples = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        response = client.get(url, headers={"HX-Request": "true"})
        samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
    return statistics.median(samples), max(samples)


def main():
    folder = tempfile.mkdtemp(prefix="complaints-bench-")
    os.environ["INSTANCE_PATH"] = folder
    app = create_app({"DATABASE_URL": f"sqlite:///{folder}/bench.db", "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False, "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024})
    rng = random.Random(7)
    db.connect(reuse_if_open=True)
    t0 = time.perf_counter()
    rows = build(rng)
    print(f"built {TOTAL:,} complaints in {time.perf_counter() - t0:.1f} s "
          f"({Complaint.select().where(Complaint.status != 'closed').count():,} open)")
    phone = rows[TOTAL // 2]["customer_phone"]
    cases = [
        ("care", "inbox, open, first page", "/inbox"),
        ("care", "inbox, open, page 20", "/inbox?page=20"),
        ("care", "inbox, all statuses", "/inbox?status=all"),
        ("care", "inbox, closed", "/inbox?status=closed"),
        ("care", "filter category + severity", "/inbox?category=price&severity=major"),
        ("care", "search by phone", f"/inbox?q={phone}&status=all"),
        ("care", "search by number", "/inbox?q=TS-2024-05&status=all"),
        ("care", "search by plate prefix", "/inbox?q=沪A1234&status=all"),
        ("svc", "department manager's inbox", "/inbox"),
        ("front", "front-line 'mine' (registered none)", "/inbox"),
    ]
    print(f"{'user':<6} {'view':<38} {'median ms':>10} {'max ms':>8}")
    for username, name, url in cases:
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = accounts.start_session(User.get(User.username == username), utcnow())
            session["_fresh"] = True
        median, worst = timed(client, url)
        print(f"{username:<6} {name:<38} {median:>10.1f} {worst:>8.1f}")
    bench_sweep(app)
    db.close()
    print(f"database: {folder}/bench.db (delete when done)")


DUE = int(os.environ.get("BENCH_DUE", "1000"))


def add_clocks(now):
    """Every complaint gets its clocks: met ones for the closed, a running completion clock
    for the open; DUE of the open ones have a ladder step due now."""
    accounts.create_user("gm", "GM", ["general_manager"], "bench-password")
    rows, due_left = [], DUE
    late = utcnow() - timedelta(hours=1)
    for cid, status, received in Complaint.select(Complaint.id, Complaint.status, Complaint.received_at).tuples():
        rows.append({"complaint": cid, "kind": "first_contact", "started_at": received,
                     "original_due_at": received + timedelta(hours=24), "due_at": received + timedelta(hours=24),
                     "met_at": received + timedelta(hours=2), "met_late": False,
                     "next_step_at": None, "next_level": ""})  # insert_many takes its columns from row 1
        done = status == "closed"
        # Late by an hour of real time, so the overdue board (which reads the clock) shows them too.
        due = late if (not done and due_left) else now + timedelta(days=3)
        if not done and due_left:
            due_left -= 1
        rows.append({"complaint": cid, "kind": "completion", "started_at": received, "original_due_at": due,
                     "due_at": due, "met_at": received + timedelta(hours=50) if done else None,
                     "met_late": False if done else None,
                     "next_step_at": None if done else due + timedelta(minutes=1), "next_level": "overdue"})
    with db.atomic():
        for batch in chunked(rows, 60):
            Clock.insert_many(batch).execute()
    refresh_statistics()
    return len(rows)


def bench_sweep(app):
    now = datetime(2030, 6, 5, 3, 0)  # a Wednesday, 11:00 in Shanghai: working hours
    t0 = time.perf_counter()
    clocks = add_clocks(now)
    print(f"\nadded {clocks:,} clocks in {time.perf_counter() - t0:.1f} s; {DUE:,} have a ladder step due")
    calendar = calendar_days.load_calendar("Asia/Shanghai")
    with app.app_context():
        t0 = time.perf_counter()
        report = ladder.sweep(now + timedelta(minutes=2), calendar)
        first = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        again = ladder.sweep(now + timedelta(minutes=3), calendar)
        second = (time.perf_counter() - t0) * 1000
    print(f"sweep with {len(report['notified']):,} clocks due: {first:.0f} ms "
          f"({Notification.select().count():,} notifications written)")
    print(f"sweep again, nothing due ({len(again['notified'])} notified): {second:.1f} ms")
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = accounts.start_session(User.get(User.username == "gm"), utcnow())
    rows = client.get("/overdue").get_data(as_text=True).count('href="/complaints/TS-')
    median, worst = timed(client, "/overdue")
    print(f"overdue board listing {rows:,} late clocks: median {median:.0f} ms, max {worst:.0f} ms")


if __name__ == "__main__":
    sys.exit(main())

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
from models import Complaint, Department, User, db, refresh_statistics

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
            session["_user_id"] = User.get(User.username == username).login_token
            session["_fresh"] = True
        median, worst = timed(client, url)
        print(f"{username:<6} {name:<38} {median:>10.1f} {worst:>8.1f}")
    db.close()
    print(f"database: {folder}/bench.db (delete when done)")


if __name__ == "__main__":
    sys.exit(main())

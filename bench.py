"""`make bench`: how the inbox behaves with 100,000 complaints, the deadline sweep and the
overdue board with their clocks, the call-back queue with 1,000,000 calls, and a
20,000-row import from the dealer management system.

Builds a throwaway database in a temporary folder (bulk insert, ~90% closed
as in a dealership after a few years), then times the pages as staff use them,
through the real Flask views. Prints figures; asserts nothing.
"""
import io
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta

from peewee import chunked
from werkzeug.datastructures import FileStorage

import accounts
import catalog
from app import create_app
from callbacks import imports
from deadlines import calendar_days, ladder
from models import (
    Call,
    CaseStudy,
    Clock,
    Complaint,
    Delivery,
    Department,
    ImportJob,
    Notification,
    ServiceVisit,
    User,
    bulk_insert,
    db,
    refresh_statistics,
    utcnow,
)

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
        if rows[-1]["status"] == "closed":
            rows[-1]["closed_at"] = received + timedelta(days=3)
        if rows[-1]["status"] != "closed":
            # Open ones have a deadline (years-old ones are long late: the worst case for the
            # inbox's "most urgent first") and half have a handler.
            rows[-1]["next_due_at"] = received + timedelta(hours=72)
            rows[-1]["handler"] = care.id if i % 2 else None
    with db.atomic():
        for batch in chunked(rows, 40):  # SQLite allows ~999 variables per statement
            Complaint.insert_many(batch).execute()
        # The newest open ones wait for the care manager's verification and dispatch.
        Complaint.update(awaiting_dispatch=True, department=None).where(
            (Complaint.id > TOTAL - 200) & (Complaint.status != "closed")).execute()
    refresh_statistics()
    return rows


def client_of(app, username):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = accounts.start_session(User.get(User.username == username), utcnow())
        session["_fresh"] = True
    return client


def time_pages(app, cases):
    print(f"{'user':<6} {'view':<38} {'median ms':>10} {'max ms':>8}")
    for username, name, url in cases:
        whole = name.startswith("whole page")  # with the counts above the list, not only the htmx table
        median, worst = timed(client_of(app, username), url, fragment=not whole)
        print(f"{username:<6} {name:<38} {median:>10.1f} {worst:>8.1f}")


def timed(client, url, fragment=True):
    samples = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        response = client.get(url, headers={"HX-Request": "true"} if fragment else {})
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
        ("care", "whole page: inbox with 'now' counts", "/inbox"),
        ("care", "inbox, deadline latest first", "/inbox?sort=-due"),
        ("care", "inbox, received newest first", "/inbox?sort=-received"),
        ("care", "inbox, due within 4 hours", "/inbox?due=soon"),
        ("care", "inbox, overdue", "/inbox?due=overdue"),
        ("care", "inbox, not yet taken", "/inbox?handler=nobody"),
        ("care", "inbox, received in one month", "/inbox?received_from=2024-03-01&received_to=2024-03-31"),
        ("care", "inbox, open, page 20", "/inbox?page=20"),
        ("care", "triage list (to verify and dispatch)", "/inbox?status=to_dispatch"),
        ("care", "inbox, all statuses", "/inbox?status=all"),
        ("care", "inbox, closed", "/inbox?status=closed"),
        ("care", "filter category + severity", "/inbox?category=price&severity=major"),
        ("care", "search by phone", f"/inbox?q={phone}&status=all"),
        ("care", "search by number", "/inbox?q=TS-2024-05&status=all"),
        ("care", "search by plate prefix", "/inbox?q=沪A1234&status=all"),
        ("svc", "department manager's inbox", "/inbox"),
        ("front", "front-line 'mine' (registered none)", "/inbox"),
    ]
    time_pages(app, cases)
    bench_sweep(app)
    bench_calls(app, rng)
    bench_import(app, folder)
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
    rows = client.get("/overdue").get_data(as_text=True).count('<tr class="severity-row-')
    median, worst = timed(client, "/overdue")
    print(f"overdue wall over {DUE:,} late complaints ({rows} rows shown, counts over all): "
          f"median {median:.0f} ms, max {worst:.0f} ms")
    bench_review(app, calendar)
    bench_learning(app)


CASES = int(os.environ.get("BENCH_CASES", "5000"))
PHRASES = ["刹车异响", "发动机漏油", "交车延误", "空调不制冷", "报价不清", "保险理赔慢", "方向盘抖动", "油耗偏高"]


def bench_learning(app):
    """The case library with CASES cases (a dealership adds a few a month: this is decades), and
    the accountability page for a month of 100,000 complaints."""
    import cases
    rng = random.Random(11)
    care = User.get(User.username == "care")
    now = utcnow()
    closed = [c for (c,) in Complaint.select(Complaint.id).where(Complaint.status == "closed").limit(CASES).tuples()]
    rows = [{"complaint": cid, "category": rng.choice(catalog.codes("category")),
             "title": f"{rng.choice(PHRASES)}第{i}例",
             "story": "。".join(rng.sample(PHRASES, 4)) + "。客户反映问题多次。",
             "lesson": f"先查{rng.choice(PHRASES)},再与客户确认处理时间。", "tags": ",".join(rng.sample(PHRASES, 2)),
             "created_by": care.id, "created_at": now, "updated_by": care.id, "updated_at": now} for i, cid in
            enumerate(closed)]
    with db.atomic():
        for batch in chunked(rows, 50):
            CaseStudy.insert_many(batch).execute()
        db.execute_sql(f"DELETE FROM {cases.FTS_TABLE}")
        db.execute_sql(f"INSERT INTO {cases.FTS_TABLE}(rowid, title, story, lesson, tags) "
                       "SELECT id, title, story, lesson, tags FROM casestudy")
    open_one = Complaint.select().where(Complaint.status != "closed").first()
    time_pages(app, [
        ("care", f"case library, {len(rows):,} cases, newest", "/cases"),
        ("care", "case search, 2 characters (LIKE)", "/cases?q=漏油"),
        ("care", "case search, 3 characters (trigram)", "/cases?q=发动机"),
        ("care", "case search, 6 characters (trigram)", "/cases?q=空调不制冷。"),
        ("care", "case search, two words", "/cases?q=刹车 确认处理"),
        ("care", "complaint page with cases beside it", f"/complaints/{open_one.number}"),
        ("care", "accountability, March 2024", "/accountability?month=2024-03"),
    ])


def bench_review(app, calendar):
    """The monthly review among 100,000 complaints and their deadlines: a month's figures,
    then the month's and a quarter's pages (with the 12-month trend) and a rate's late list."""
    from review.figures import period_figures
    samples = []
    for _ in range(5):
        t0 = time.perf_counter()
        figures = period_figures(date(2024, 3, 1), date(2024, 3, 31), calendar)
        samples.append((time.perf_counter() - t0) * 1000)
    print(f"monthly review figures, March 2024 ({figures['received']:,} complaints): "
          f"median {statistics.median(samples):.0f} ms, max {max(samples):.0f} ms")
    time_pages(app, [
        ("care", "monthly review page, March 2024", "/reports?month=2024-03"),
        ("care", "quarterly review page, 2024-Q1", "/reports?quarter=2024-Q1"),
        ("care", "late first contacts, March 2024",
         "/inbox?status=all&received_from=2024-03-01&received_to=2024-03-31&missed=first_contact")])


CALL_DELIVERIES = int(os.environ.get("BENCH_DELIVERIES", "250000"))  # 3 calls each
CALL_VISITS = int(os.environ.get("BENCH_VISITS", "250000"))  # 1 call each: 1,000,000 calls in all
DONE = [("satisfied", 0.86), ("unreachable", 0.06), ("unhappy", 0.02), ("complaint", 0.02),
        ("wrong_number", 0.02), ("do_not_call", 0.01), ("cancelled", 0.01)]


def call_row(rng, now, kind, due, owner, owner_role, base, clerk):
    """A call due at `due`: made a little before if it is older than three days (a few left
    open and now overdue), open otherwise."""
    row = {"kind": kind, "delivery": base if kind != "service_3d" else None,
           "service_visit": base if kind == "service_3d" else None, "owner": owner, "owner_role": owner_role,
           "customer_name": f"客户{base}", "customer_phone": f"139{base:08d}", "vehicle": "朗逸 沪A12345",
           "opens_at": due - timedelta(days=3), "due_at": due, "status": "open", "comment": "",
           "attempts": 0, "next_level": "due_today", "next_step_at": due - timedelta(hours=8)}
    if due < now - timedelta(days=3) and rng.random() > 0.002:
        status = rng.choices([s for s, _w in DONE], [w for _s, w in DONE])[0]
        row.update(status=status, called_at=due - timedelta(hours=rng.randint(1, 60)), called_by=owner or clerk,
                   attempts=1, score=rng.randint(3, 5) if status == "satisfied" else None,
                   next_level="", next_step_at=None)
    return row


def build_calls(rng, now):
    """Deliveries and service visits over the last eight years, up to a few days ahead, with
    their calls; written in batches so a million rows never sit in memory at once."""
    clerk = accounts.create_user("clerk", "Clerk", ["callback_clerk"], "bench-password")
    consultants = [accounts.create_user(f"sc{i}", f"顾问{i}", ["front_line"], "bench-password").id
                   for i in range(20)]
    span = timedelta(days=8 * 365)
    start = now - span
    for first in range(0, max(CALL_DELIVERIES, CALL_VISITS), 10_000):
        deliveries, visits, calls = [], [], []
        for i in range(first, min(first + 10_000, CALL_DELIVERIES)):
            handed = start + span * (i / CALL_DELIVERIES) + timedelta(days=5)
            consultant = consultants[i % len(consultants)]
            deliveries.append({"id": i + 1, "customer_name": f"客户{i + 1}", "customer_phone": f"139{i + 1:08d}",
                               "vehicle_model": "朗逸", "vin": f"LSV{i:014d}", "plate": "", "consultant": consultant,
                               "consultant_name": "", "delivered_on": handed.date(), "created_at": now})
            for kind, days, owner, role in (("sales_3d", 3, consultant, "front_line"),
                                            ("delivery_7d", 7, None, "callback_clerk"),
                                            ("delivery_25d", 25, None, "callback_clerk")):
                calls.append(call_row(rng, now, kind, handed + timedelta(days=days), owner, role, i + 1, clerk.id))
        for i in range(first, min(first + 10_000, CALL_VISITS)):
            back = start + span * (i / CALL_VISITS) + timedelta(days=3)
            visits.append({"id": i + 1, "repair_order": f"RO{i:08d}", "customer_name": f"客户{i + 1}",
                           "customer_phone": f"139{i + 1:08d}", "handed_back_on": back.date(), "created_at": now,
                           "work_done": "保养"})
            calls.append(call_row(rng, now, "service_3d", back + timedelta(days=3), None, "callback_clerk", i + 1,
                                  clerk.id))
        with db.atomic():
            bulk_insert(Delivery, deliveries)
            bulk_insert(ServiceVisit, visits)
            bulk_insert(Call, calls)
    refresh_statistics()


def bench_calls(app, rng):
    now = utcnow()
    t0 = time.perf_counter()
    build_calls(rng, now)
    open_calls = Call.select().where(Call.status == "open")
    print(f"\nbuilt {Call.select().count():,} calls in {time.perf_counter() - t0:.1f} s "
          f"({open_calls.count():,} open, {open_calls.where(Call.due_at < now).count():,} overdue)")
    time_pages(app, [
        ("clerk", "call queue, mine, now (first page)", "/callbacks"),
        ("clerk", "call queue, page 20", "/callbacks?page=20"),
        ("clerk", "call queue, due today", "/callbacks?when=due_today"),
        ("clerk", "call queue, overdue", "/callbacks?when=overdue"),
        ("clerk", "call queue, upcoming", "/callbacks?when=upcoming"),
        ("clerk", "call queue, one kind", "/callbacks?kind=delivery_25d"),
        ("clerk", "calls made (history), first page", "/callbacks?when=done"),
        ("clerk", "calls made, page 200", "/callbacks?when=done&page=200"),
        ("clerk", "everyone's calls", "/callbacks?whose=all"),
        ("sc3", "a consultant's own calls", "/callbacks"),
        ("gm", "GM, everyone's", "/callbacks"),
        ("clerk", "figures alone (after a call)", "/callbacks/figures?whose=mine"),
    ])


def bench_import(app, folder):
    """A 20,000-row delivery export in GBK, as Chinese Excel writes it: read and mapped, every
    row checked, then saved with its calls, as the background tasks do it."""
    today = datetime.now().date()
    lines = ["客户姓名,联系电话,车型,车架号,车牌号,交车日期,销售顾问\n"] + [
        f"导入客户{i},137{i:08d},帕萨特,LFV{i:014d},沪B{i % 100000:05d},{today - timedelta(days=i % 20)},顾问{i % 20}\n"
        for i in range(20_000)]
    data = "".join(lines).encode("gbk")
    calendar = calendar_days.load_calendar("Asia/Shanghai")
    clerk = User.get(User.username == "clerk")
    with app.app_context():
        t0 = time.perf_counter()
        job = imports.start("deliveries", FileStorage(io.BytesIO(data), filename="export.csv"),
                            os.path.join(folder, "imports"), 20 * 2 ** 20, clerk, utcnow())
        read = time.perf_counter() - t0
        t0 = time.perf_counter()
        summary = imports.check(job.id, today)
        checked = time.perf_counter() - t0
        t0 = time.perf_counter()
        saved = imports.save(job.id, clerk.id, utcnow(), today, calendar)
        stored = time.perf_counter() - t0
    print(f"\nimport of {len(lines) - 1:,} rows ({len(data) / 2 ** 20:.1f} MB GBK CSV): read {read * 1000:.0f} ms, "
          f"check {checked * 1000:.0f} ms ({summary['valid']:,} valid), save {stored * 1000:.0f} ms "
          f"({saved['saved']:,} deliveries, {saved['calls']:,} calls); job {ImportJob.get_by_id(job.id).status}")


if __name__ == "__main__":
    sys.exit(main())

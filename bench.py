"""`make bench`: the app at a dealership's full size, measured over HTTP as staff use it.

Builds a throwaway database (SQLite in a temporary folder, or the empty PostgreSQL database
named by BENCH_DATABASE_URL): 100,000 complaints over five years, 10,000 of them open and
about 5,000 with a deadline running late, 390,000 deadlines, 790,000 timeline entries,
776,000 notifications, 1,000,000 calls, and a few thousand cases. Then:

- the deadline sweep with 1,000 and 5,000 deadlines due, with and without e-mail, in-process;
- a 20,000-row import from the dealer management system, in-process;
- the web server started as `make run` starts it (launcher.web_server), and the pages timed
  from a separate process (bench_load.py) at 1 and 8 concurrent users: p50/p95/p99, requests/s;
- the web server's memory at rest and at its peak (VmRSS, VmHWM of each process).

Prints one table and writes the figures as JSON (BENCH_JSON, else bench.json in the folder).
Asserts nothing: `make test` has no timing assertions.
"""
import http.cookiejar
import io
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import datetime, timedelta

from werkzeug.datastructures import FileStorage

import accounts
import catalog
import launcher
import running
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
    Escalation,
    Event,
    ImportJob,
    Notification,
    Outbox,
    ServiceVisit,
    User,
    bulk_insert,
    checkpoint,
    close_all,
    db,
    refresh_statistics,
    utcnow,
)

HERE = os.path.dirname(os.path.abspath(__file__))
SIZE = int(os.environ.get("BENCH_COMPLAINTS", "100000"))
PASSWORD = "bench-password"
NOW = utcnow().replace(microsecond=0)
SWEEP_RUNS = ((1000, False), (1000, True), (5000, False), (5000, True))


def sized(name, default):
    """A count that scales with BENCH_COMPLAINTS (the defaults are for 100,000)."""
    return int(os.environ.get(name, str(default * SIZE // 100_000)))


OPEN = sized("BENCH_OPEN", 10_000)
LATE = sized("BENCH_LATE", 4_966)  # open complaints with a deadline running late
EVENTS = sized("BENCH_EVENTS", 790_000)
NOTIFICATIONS = sized("BENCH_NOTIFICATIONS", 776_000)
LONG_TIMELINE = 300  # entries on the complaint whose page is timed
OPEN_MIX = ["registered", "in_progress", "in_progress", "awaiting_callback"]


# -- the register ---------------------------------------------------------------------------

def build_staff():
    """The people of a mid-sized dealership: managers, 30 front-line staff, the clerk."""
    accounts.ensure_departments()
    depts = {d.code: d for d in Department.select()}
    make = accounts.create_user
    staff = {"care": make("care", "客服经理", ["care_manager"], PASSWORD),
             "gm": make("gm", "总经理", ["general_manager"], PASSWORD),
             "clerk": make("clerk", "回访专员", ["callback_clerk"], PASSWORD)}
    managers = {}
    for code in depts:
        managers[code] = make(f"mgr_{code}", f"{code}经理", ["department_manager"], PASSWORD, department=depts[code])
    staff["svc"] = managers["after_sales"]
    front = [make(f"sc{i}", f"顾问{i}", ["front_line"], PASSWORD, department=depts[("sales", "after_sales")[i % 2]])
             for i in range(30)]
    return depts, staff, managers, front


def build_register(rng, depts, staff, managers, front):
    """SIZE complaints from 2022 to now, 10 % open; each with its clocks, timeline and notifications."""
    span = (NOW - timedelta(days=2) - datetime(2022, 1, 1)) / SIZE
    open_ids = set(rng.sample(range(SIZE - 3 * OPEN, SIZE), OPEN))  # open ones are mostly recent
    late = set(rng.sample(sorted(open_ids), LATE))
    by_dept = {code: [u for u in front if u.department_id == d.id] + [managers[code]] for code, d in depts.items()}
    rows = []
    for i in range(SIZE):
        category = rng.choice(catalog.codes("category"))
        dept = catalog.ROUTED_TO[category] or "after_sales"
        received = datetime(2022, 1, 1) + span * i
        handler = rng.choice(by_dept[dept])
        is_open = i in open_ids
        due = None
        if is_open:
            due = NOW - timedelta(minutes=rng.randint(60, 30 * 24 * 60)) if i in late else \
                NOW + timedelta(minutes=rng.randint(30, 10 * 24 * 60))
        rows.append({
            "number": f"TS-{received.year}-{i:06d}", "received_at": received, "registered_at": received,
            "registered_by": rng.choice(front).id, "channel": rng.choice(catalog.codes("channel")),
            "business_line": rng.choice(("sales", "after_sales")),
            "customer_name": f"{rng.choice('王李张刘陈杨赵黄')}客户{i}",
            "customer_phone": f"13{rng.randint(100000000, 999999999)}", "vin": f"LSV{i:014d}",
            "plate": f"沪A{i % 100000:05d}", "category": category, "demand": "other",
            "severity": rng.choice(catalog.codes("severity")), "description": "客户反映问题，要求尽快处理。" * 3,
            "department": depts[dept].id, "handler": handler.id,
            "status": rng.choice(OPEN_MIX) if is_open else "closed",
            "next_due_at": due, "running_due_at": due,
            "closed_at": None if is_open else received + timedelta(days=rng.randint(1, 20)),
            "first_contact_at": received + timedelta(hours=rng.randint(1, 3)), "updated_at": received,
            "cause_class": rng.choice(catalog.codes("cause_class")) if not is_open else ""})
    for batch in chunks(rows, 5000):
        with db.atomic():
            bulk_insert(Complaint, batch)
    ids = {number: cid for cid, number in Complaint.select(Complaint.id, Complaint.number).tuples()}
    for row in rows:
        row["id"] = ids[row["number"]]
    return rows


def chunks(rows, size):
    for first in range(0, len(rows), size):
        yield rows[first:first + size]


def build_clocks(rows):
    """Four deadlines a closed complaint had: first contact, solution, completion, closing
    callback, all met; an open one has the first three, its completion running (late for LATE
    of them); its callback starts when it is completed."""
    clocks = []
    for row in rows:
        received, done = row["received_at"], row["status"] == "closed"
        for kind, hours in (("first_contact", 2), ("solution", 24), ("completion", 72), ("callback", 96)):
            if kind == "callback" and not done:
                continue
            due = received + timedelta(hours=hours)
            met = received + timedelta(hours=hours * 0.8)
            running = not done and kind == "completion"
            if running:
                due = row["next_due_at"]
            clocks.append({"complaint": row["id"], "kind": kind, "started_at": received, "original_due_at": due,
                           "due_at": due, "met_at": None if running else met,
                           "met_late": None if running else False,
                           # the late ones were escalated when they fell late: nothing due in the sweep
                           "next_step_at": due + timedelta(days=365) if running else None,
                           "next_level": "overdue" if running else ""})
    for batch in chunks(clocks, 10_000):
        with db.atomic():
            bulk_insert(Clock, batch)
    return len(clocks)


def build_events(rng, rows, staff):
    """The timelines: about eight entries a complaint, and one complaint with a long one."""
    per = max(2, EVENTS // len(rows))
    kinds = ["registered", "assign", "contact", "note", "contact", "solution", "note", "close"]
    events = []
    for row in rows:
        for step in range(per):
            events.append({"complaint": row["id"], "at": row["received_at"] + timedelta(hours=step * 5),
                           "actor": row["handler"], "kind": kinds[step % len(kinds)],
                           "text": "已与客户电话沟通，客户同意方案。" if step % 3 else "", "data": "{}"})
        if len(events) >= 50_000:
            with db.atomic():
                bulk_insert(Event, events)
            events = []
    long_one = next(r for r in rows if r["status"] != "closed")
    events += [{"complaint": long_one["id"], "at": long_one["received_at"] + timedelta(minutes=m),
                "actor": staff["care"].id, "kind": "note" if m % 2 else "contact",
                "text": f"第{m}次跟进：已联系客户，等待配件。", "data": "{}"} for m in range(LONG_TIMELINE)]
    with db.atomic():
        bulk_insert(Event, events)
    return long_one["number"]


def build_notifications(rng, rows, staff, front):
    """776,000 notifications: the care manager and the GM about 85,000 each, the rest spread
    over the handlers; all but the last few hundred read."""
    clock_of = dict(Clock.select(Clock.complaint, Clock.id).where(Clock.kind == "completion").tuples())
    people = [staff["care"].id, staff["gm"].id] + [u.id for u in front]
    weights = [85, 85] + [(NOTIFICATIONS / 1000 - 170) / len(front)] * len(front)
    notes, span = [], len(rows)
    for n in range(NOTIFICATIONS):
        row = rows[n * span // NOTIFICATIONS]
        at = row["received_at"] + timedelta(hours=rng.randint(1, 96))
        notes.append({"user": rng.choices(people, weights)[0], "complaint": row["id"], "clock": clock_of.get(row["id"]),
                      "kind": rng.choice(("reminder", "due_today", "overdue")), "created_at": at,
                      "read_at": None if n > NOTIFICATIONS - 500 else at + timedelta(hours=2), "urgent": False})
        if len(notes) >= 50_000:
            with db.atomic():
                bulk_insert(Notification, notes)
            notes = []
    with db.atomic():
        bulk_insert(Notification, notes)


# -- calls ----------------------------------------------------------------------------------

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


def build_calls(rng, now, clerk, front):
    """Deliveries and service visits over the last eight years, up to a few days ahead, with
    their calls; written in batches so a million rows never sit in memory at once."""
    consultants = [u.id for u in front[:20]]
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


CASES = int(os.environ.get("BENCH_CASES", "5000"))
PHRASES = ["刹车异响", "发动机漏油", "交车延误", "空调不制冷", "报价不清", "保险理赔慢", "方向盘抖动", "油耗偏高"]




def build_cases(rng, staff):
    """CASES cases in the library (a dealership adds a few a month: this is decades)."""
    import cases
    closed = [c for (c,) in Complaint.select(Complaint.id).where(Complaint.status == "closed").limit(CASES).tuples()]
    rows = [{"complaint": cid, "category": rng.choice(catalog.codes("category")),
             "title": f"{rng.choice(PHRASES)}第{i}例",
             "story": "。".join(rng.sample(PHRASES, 4)) + "。客户反映问题多次。",
             "lesson": f"先查{rng.choice(PHRASES)},再与客户确认处理时间。", "tags": ",".join(rng.sample(PHRASES, 2)),
             "created_by": staff["care"].id, "created_at": NOW, "updated_by": staff["care"].id, "updated_at": NOW,
             "version": 1} for i, cid in enumerate(closed)]
    with db.atomic():
        bulk_insert(CaseStudy, rows)
        if cases.has_text_index():  # made again, filled from the table
            db.execute_sql(f"DROP TABLE {cases.FTS_TABLE}")
            cases.create_text_index(db.obj)


# -- in-process: the sweep ------------------------------------------------------------------

def bench_sweeps(app):
    """The sweep with 1,000 and 5,000 late deadlines due at once (after an outage), with and
    without e-mail to the care manager and the GM; each run on fresh deadlines. The process's
    objects so far are left out of garbage collection, as the task consumer's are once it has
    built the app (tasks.flask_app)."""
    running.leave_startup_objects_alone()
    calendar = calendar_days.load_calendar(app.config["TIMEZONE"])
    running_clocks = [cid for cid, in Clock.select(Clock.id).where(
        Clock.met_at.is_null() & Clock.stopped_at.is_null()).order_by(Clock.id).tuples()]
    User.update(email="manager@example.com", email_kinds="overdue,due_today,reminder").where(
        User.username.in_(["care", "gm"])).execute()
    results = []
    for due, email in SWEEP_RUNS:
        ids = running_clocks[:due]
        due = len(ids)  # (fewer at a small BENCH_COMPLAINTS)
        kept = list(Clock.select(Clock.id, Clock.due_at, Clock.next_step_at, Clock.next_level)
                    .where(Clock.id.in_(ids)).tuples())
        with app.app_context():
            app.config["SMTP_HOST"] = "127.0.0.1" if email else ""
            # 11:00 in Shanghai on the coming Wednesday: working hours, so the late ones escalate at
            # once, and before any other deadline's next step (a year after it fell late)
            start = (NOW + timedelta(days=(2 - NOW.weekday()) % 7 or 7)).replace(hour=3, minute=len(results) + 1,
                                                                                second=0)
            Clock.update(due_at=start - timedelta(hours=1), next_step_at=start - timedelta(minutes=1),
                         next_level="overdue").where(Clock.id.in_(ids)).execute()
            checkpoint()  # as the consumer did after the sweep a minute before
            t0 = time.perf_counter()
            report = ladder.sweep(start, calendar)
            elapsed = time.perf_counter() - t0
            checkpoint()  # and does after this one (tasks.deadline_sweep), timed on its own
            copied = time.perf_counter() - t0 - elapsed
            queued = Outbox.select().where(Outbox.created_at == start).count()
        results.append({"due": due, "email": email, "ms": round(elapsed * 1000), "notified": len(report["notified"]),
                        "emails": queued, "ms_per_due": round(elapsed * 1000 / due, 3),
                        "checkpoint_ms": round(copied * 1000)})
        # the same deadlines serve the next run, and the pages are timed on the register as built
        for clock_id, due_at, step_at, level in kept:
            Clock.update(due_at=due_at, next_step_at=step_at, next_level=level).where(Clock.id == clock_id).execute()
        Escalation.delete().where(Escalation.clock.in_(ids)).execute()
        Notification.delete().where(Notification.created_at == start).execute()
        Outbox.delete().where(Outbox.created_at == start).execute()
    app.config["SMTP_HOST"] = ""
    User.update(email="", email_kinds="").where(User.username.in_(["care", "gm"])).execute()
    return results


# -- over HTTP ------------------------------------------------------------------------------

def pages(long_timeline, phone):
    """(name, user, path, htmx): what staff open, as their browsers ask for it."""
    last_month = (NOW.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    return [
        ("login page", None, "/login", False),
        ("trivial route (the floor)", None, "/healthz", False),
        ("inbox, default (whole page)", "care", "/inbox", False),
        ("inbox, filtered", "care", "/inbox?category=price&severity=major", True),
        ("inbox, search by phone", "care", f"/inbox?q={phone}&status=all", True),
        ("inbox, search by one character", "care", "/inbox?q=" + urllib.parse.quote("王") + "&status=all", True),
        ("inbox, department manager", "mgr_after_sales", "/inbox", False),
        ("inbox, front-line", "sc3", "/inbox", False),
        ("inbox, front-line, all statuses", "sc3", "/inbox?status=all", True),
        (f"complaint page, {LONG_TIMELINE} entries", "care", f"/complaints/{long_timeline}", False),
        ("overdue board (whole page)", "gm", "/overdue", False),
        ("overdue board, refresh", "gm", "/overdue", True),
        ("bell", "care", "/notifications/bell", True),
        ("notifications, care manager", "care", "/notifications", False),
        ("callback queue", "clerk", "/callbacks", False),
        (f"monthly report, {last_month}", "care", f"/reports?month={last_month}", False),
        # The review remembers a period's figures until the register changes (review/remembered.py):
        # thirty days not asked for before, each request, are what the first view after a change costs.
        ("monthly report, first view", "care", [f"/reports?from={day - timedelta(days=29)}&to={day}"
                                                for day in (NOW.date() - timedelta(days=n) for n in range(1, 361))],
         False),
    ]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(folder, url, port):
    """The web server as `make run` starts it (workers and threads as there), on the bench database.
    BENCH_SERVER (a command with {port}) and BENCH_SERVER_ROOT (its checkout) measure another
    server or another release of the app on the same database."""
    root = os.environ.get("BENCH_SERVER_ROOT", HERE)
    env = {**os.environ, "INSTANCE_PATH": folder, "DATABASE_URL": url, "SECRET_KEY": "bench", "PYTHONPATH": root}
    if os.environ.get("BENCH_SERVER"):
        argv = os.environ["BENCH_SERVER"].format(port=port).split()
    else:
        argv = launcher.web_server("127.0.0.1", port, int(os.environ.get("THREADS", launcher.THREADS)),
                                   launcher.workers())
    log = open(os.path.join(folder, "server.log"), "a")  # (why it did not start, if it did not)
    server = subprocess.Popen(argv, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2).status == 200:
                time.sleep(2)  # every worker up
                return server, argv
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise RuntimeError("the web server did not start")


def log_in(port, username):
    """A logged-in session cookie, the way a browser gets one."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"http://127.0.0.1:{port}/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"csrf_token": token, "username": username, "password": PASSWORD}).encode()
    opener.open(f"http://127.0.0.1:{port}/login", data)
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def processes_of(pid):
    """The server and its worker processes."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        try:
            with open(f"/proc/{current}/task/{current}/children") as f:
                queue += [int(p) for p in f.read().split()]
        except FileNotFoundError:
            pass
    return found


def memory(pids):
    """{pid: (resident MB now, peak resident MB)} (Linux's /proc)."""
    found = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
            found[pid] = (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)
        except (FileNotFoundError, KeyError):
            pass
    return found


def bench_http(folder, url, long_timeline, phone):
    port = free_port()
    server, argv = start_server(folder, url, port)
    try:
        cookies = {user: log_in(port, user) for user in {u for _n, u, _p, _h in pages(long_timeline, phone) if u}}
        rest = memory(processes_of(server.pid))
        requests = int(os.environ.get("BENCH_REQUESTS", "200"))
        plan = {"host": "127.0.0.1", "port": port, "levels": [1, 8],
                "seconds": float(os.environ.get("BENCH_SECONDS", "8")), "requests": {"1": requests, "8": 2 * requests},
                "cases": [{"name": name, "path": path, "cookie": cookies.get(user, ""), "htmx": htmx}
                          for name, user, path, htmx in pages(long_timeline, phone)
                          if not any(name.startswith(skip) for skip in os.environ.get("BENCH_SKIP", "-").split(","))]}
        load = subprocess.run([sys.executable, os.path.join(HERE, "bench_load.py")], input=json.dumps(plan),
                              capture_output=True, text=True)
        if load.returncode:
            raise RuntimeError(f"the load generator stopped: {load.stderr[-2000:]}")
        peak = memory(processes_of(server.pid))
    finally:
        os.killpg(server.pid, 15)
        server.wait(30)
    return {"server": " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(argv)),
            "pages": json.loads(load.stdout),
            "memory_mb": {"at_rest": {str(p): round(rss, 1) for p, (rss, _hwm) in rest.items()},
                          "peak": {str(p): round(hwm, 1) for p, (_rss, hwm) in peak.items()}}}


# -- the report -----------------------------------------------------------------------------

def print_table(results):
    pages_ = results["http"]["pages"]
    floor = pages_.get("trivial route (the floor)", {"1": {"p50": float("nan")}})["1"]["p50"]
    print(f"\n{results['database']}, {results['sizes']['complaints']:,} complaints; "
          f"server: {results['http']['server']}")
    print(f"{'page':<40} {'c=1 p50':>8} {'p95':>7} {'p99':>7} {'req/s':>7} {'x floor':>8} {'c=8 p50':>8} "
          f"{'p95':>7} {'p99':>7} {'req/s':>7} {'KB':>6}")
    for name, levels in pages_.items():
        one, eight = levels["1"], levels["8"]
        print(f"{name:<40} {one['p50']:>8} {one['p95']:>7} {one['p99']:>7} {one['rps']:>7} "
              f"{one['p50'] / floor:>8.1f} {eight['p50']:>8} {eight['p95']:>7} {eight['p99']:>7} {eight['rps']:>7} "
              f"{eight['bytes'] / 1024:>6.0f}")
    mem = results["http"]["memory_mb"]
    print(f"web server memory (MB per process): at rest {sorted(mem['at_rest'].values())}, "
          f"peak {sorted(mem['peak'].values())}")
    for run in results["sweep"]:
        print(f"sweep, {run['due']:,} deadlines due, {'with' if run['email'] else 'without'} e-mail: {run['ms']} ms "
              f"({run['ms_per_due']} ms per deadline; {run['notified']:,} notified, {run['emails']:,} e-mails queued; "
              f"then the checkpoint, {run.get('checkpoint_ms', '-')} ms)")
    if results.get("import"):
        print(results["import"])


def again(folder):
    """`python bench.py --again FOLDER`: the HTTP part once more on a database built before."""
    with open(os.path.join(folder, "built.json")) as f:
        built = json.load(f)
    results = built["results"]
    if os.environ.get("BENCH_SWEEP") == "1":
        app = create_app({"DATABASE_URL": built["url"], "SECRET_KEY": "bench"})
        db.connect(reuse_if_open=True)
        results["sweep"] = bench_sweeps(app)
        db.close()
    results["http"] = bench_http(folder, built["url"], built["long_timeline"], built["phone"])
    print_table(results)
    out = os.environ.get("BENCH_JSON") or os.path.join(folder, "bench-again.json")
    with open(out, "w") as f:
        json.dump(results, f, indent=1, ensure_ascii=False)
    print(f"\nfigures: {out}")


def main():
    if sys.argv[1:2] == ["--again"]:
        return again(sys.argv[2])
    folder = tempfile.mkdtemp(prefix="complaints-bench-")
    os.environ["INSTANCE_PATH"] = folder
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder}/bench.db"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024})
    db.connect(reuse_if_open=True)
    if Complaint.select().exists():
        sys.exit(f"{url} is not empty: the bench needs an empty database of its own")
    rng = random.Random(7)
    t0 = time.perf_counter()
    depts, staff, managers, front = build_staff()
    rows = build_register(rng, depts, staff, managers, front)
    clocks = build_clocks(rows)
    long_timeline = build_events(rng, rows, staff)
    build_notifications(rng, rows, staff, front)
    build_calls(rng, NOW, staff["clerk"], front)
    build_cases(rng, staff)
    refresh_statistics()
    sizes = {"complaints": len(rows), "open": OPEN, "late": LATE, "clocks": clocks, "events": Event.select().count(),
             "notifications": Notification.select().count(), "calls": Call.select().count()}
    print(f"built in {time.perf_counter() - t0:.0f} s: " + ", ".join(f"{v:,} {k}" for k, v in sizes.items()))
    results = {"database": "PostgreSQL" if url.startswith("postgres") else "SQLite", "sizes": sizes,
               "sweep": bench_sweeps(app)}
    if os.environ.get("BENCH_IMPORT", "1") == "1":
        results["import"] = bench_import(app, folder)
    if results["database"] == "PostgreSQL":
        # What autovacuum does to a register that has run a while: the visibility map that
        # index-only scans rely on is set by VACUUM, not by the inserts (the callback queue took
        # 56 ms right after a build, 40 ms after this).
        db.execute_sql("VACUUM ANALYZE")
    close_all()
    phone = rows[SIZE // 2]["customer_phone"]
    with open(os.path.join(folder, "built.json"), "w") as f:
        json.dump({"url": url, "long_timeline": long_timeline, "phone": phone, "results": results}, f)
    results["http"] = bench_http(folder, url, long_timeline, phone)
    print_table(results)
    out = os.environ.get("BENCH_JSON") or os.path.join(folder, "bench.json")
    with open(out, "w") as f:
        json.dump(results, f, indent=1, ensure_ascii=False)
    print(f"\nfigures: {out}; database: {url} (delete when done)")


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
    return (f"import of {len(lines) - 1:,} rows ({len(data) / 2 ** 20:.1f} MB GBK CSV): read {read * 1000:.0f} ms, "
            f"check {checked * 1000:.0f} ms ({summary['valid']:,} valid), save {stored * 1000:.0f} ms "
            f"({saved['saved']:,} deliveries, {saved['calls']:,} calls); job {ImportJob.get_by_id(job.id).status}")


if __name__ == "__main__":
    sys.exit(main())

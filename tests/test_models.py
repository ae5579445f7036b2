"""Numbering, visibility and the database settings."""
import threading
from datetime import date, datetime, timedelta

from helpers import NOW, SERVER_DATABASE, complaint_fields, query_plan, sqlite_only

import workflow
from models import IS_OPEN, Clock, Complaint, Escalation, NumberCounter, Outbox, bulk_insert, db, refresh_statistics


def test_numbers_are_sequential_per_year(make_complaint):
    numbers = [make_complaint().number for _ in range(3)]
    assert numbers == ["TS-2026-0001", "TS-2026-0002", "TS-2026-0003"]


def test_number_year_is_the_dealerships_local_year(make_complaint):
    # 2026-12-31 17:00 UTC is already 1 January 2027 in Shanghai.
    assert make_complaint(now=datetime(2026, 12, 31, 17, 0)).number == "TS-2027-0001"
    assert make_complaint(now=datetime(2026, 12, 31, 15, 0)).number == "TS-2026-0001"


def test_numbers_are_never_reused(make_complaint):
    make_complaint()
    make_complaint()
    # A save that fails after taking a number rolls the counter back with it,
    # and a stored number is never issued again.
    assert NumberCounter.get_by_id(2026).last == 2
    assert make_complaint().number == "TS-2026-0003"
    assert Complaint.select().where(Complaint.number == "TS-2026-0003").count() == 1


def test_numbers_are_unique_under_concurrent_saves(app, staff):
    """Eight threads, each on its own connection, registering at once."""
    numbers, errors = [], []
    user = staff["front"]

    def register_some():
        try:
            with db.connection_context():
                for _ in range(5):
                    numbers.append(workflow.register(complaint_fields(), user, NOW).number)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=register_some) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(numbers) == [f"TS-2026-{n:04d}" for n in range(1, 41)]


@sqlite_only
def test_sqlite_pragmas_are_set(app):
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert db.execute_sql("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0] == 10_000  # the consumer checkpoints


def test_visibility_by_role(make_complaint, staff):
    mine = make_complaint(by="front", category="sales_promise")
    theirs = make_complaint(by="front2", category="price")
    service = make_complaint(by="advisor", category="repair_quality")

    def visible(user):
        return {c.id for c in Complaint.visible_to(staff[user])}

    assert visible("front") == {mine.id}
    assert visible("sales_mgr") == {mine.id, theirs.id}
    assert visible("service_mgr") == {service.id}
    for everyone in ("care", "gm", "admin", "clerk"):
        assert visible(everyone) == {mine.id, theirs.id, service.id}


def test_handler_sees_what_is_assigned_to_them(make_complaint, staff):
    c = make_complaint(by="front", category="price")
    workflow.perform("assign", c.id, c.version, staff["sales_mgr"], NOW,
                     department=c.department, handler=staff["front2"])
    assert [x.id for x in Complaint.visible_to(staff["front2"])] == [c.id]


def test_inbox_filters_use_indexes(make_complaint):
    for _ in range(30):
        make_complaint()
    refresh_statistics()
    oldest_open = Complaint.select(Complaint.id).where(IS_OPEN).order_by(Complaint.received_at, Complaint.id).limit(51)
    plan = query_plan(*oldest_open.sql())
    if SERVER_DATABASE:  # with a test's 30 rows PostgreSQL picks among its indexes as it likes
        assert "Seq Scan" not in plan, plan
    else:
        assert "complaint_open_queue" in plan and "TEMP B-TREE" not in plan, plan
    plan = query_plan(*Complaint.select(Complaint.id).where(Complaint.matching("138")).sql())
    assert "complaint_customer_phone" in plan, plan


def test_bulk_insert_stores_what_a_save_stores(make_complaint):
    """The sweep's bulk writes hand most values to the driver as they are: each kind of value
    (a model or an id for a key, a date, a time, a flag, text, nothing) must be stored exactly as
    peewee's own save stores it."""
    complaint = make_complaint()
    clock = {"complaint": complaint, "kind": "completion", "started_at": NOW, "original_due_at": NOW,
             "due_at": NOW + timedelta(hours=2, microseconds=5), "met_at": None, "met_late": True,
             "paused_seconds": 7, "next_step_at": NOW, "next_level": "逾期"}
    saved = Clock.create(**clock)
    bulk_insert(Clock, [{**clock, "complaint": complaint.id}, {**clock, "met_late": None}])
    step = {"clock": saved, "level": "overdue", "at": NOW, "skipped": False, "due_at": NOW, "due_day": date(2026, 3, 2)}
    first_step = Escalation.create(**step)
    bulk_insert(Escalation, [{**step, "clock": saved.id, "level": "before"}])
    without_default = {key: value for key, value in step.items() if key != "skipped"}
    bulk_insert(Escalation, [{**without_default, "level": "due_day"}])  # the field's default: not skipped

    def stored(model, since):
        cursor = db.execute_sql(f'SELECT * FROM "{model._meta.table_name}" WHERE id >= %s ORDER BY id' % int(since))
        names = [column[0] for column in cursor.description]
        return [{name: value for name, value in zip(names, row, strict=True) if name != "id"} for row in cursor]
    clocks = stored(Clock, saved.id)
    assert len(clocks) == 3
    assert clocks[1] == clocks[0]
    assert clocks[2] == {**clocks[0], "met_late": None}
    escalations = stored(Escalation, first_step.id)
    assert escalations[1] == {**escalations[0], "level": "before"}
    assert escalations[2] == {**escalations[0], "level": "due_day"}
    assert Clock.get_by_id(saved.id + 1).due_at == NOW + timedelta(hours=2, microseconds=5)
    # Text as typed (PostgreSQL takes the rows as COPY's text, where a tab, a newline, a
    # backslash and \N mean something): stored as a save stores it, empty text not as nothing.
    message = {"channel": "email", "target": "a@example.com", "subject": "", "webhook_format": "",
               "body": "tab\there\nnext line\\N back\\slash\r\n 投诉 \u202e'; DROP TABLE outbox; --",
               "allow_lan": True, "created_at": NOW, "send_after": NOW + timedelta(microseconds=1)}
    first_message = Outbox.create(**message)
    bulk_insert(Outbox, [message, {**message, "subject": "\\N"}])
    messages = stored(Outbox, first_message.id)
    assert messages[1] == messages[0] and messages[0]["subject"] == ""
    assert messages[2] == {**messages[0], "subject": "\\N"}
    assert Outbox.get_by_id(first_message.id + 1).body == message["body"]


def test_a_list_of_ids_picks_the_rows_peewees_own_list_picks(make_complaint):
    """The sweep writes its long lists of ids as one run of placeholders (models.Ids)."""
    from models import Ids
    first, second, third = make_complaint(), make_complaint(), make_complaint()

    def picked(ids):
        # (values before and after the list: each parameter must keep its place)
        return {c.id for c in Complaint.select(Complaint.id).where((Complaint.number != "无此号")
                                                                   & Complaint.id.in_(Ids(ids))
                                                                   & (Complaint.customer_name != "无此人"))}
    assert picked([first.id, third.id]) == {first.id, third.id}
    assert picked(iter([third.id])) == {third.id}
    assert picked([]) == set()
    assert Complaint.update(customer_name="改").where(Complaint.id.in_(Ids([second.id, third.id]))).execute() == 2
    assert [c.customer_name == "改" for c in Complaint.select().order_by(Complaint.id)] == [False, True, True]


def test_a_kept_statement_is_written_once_and_runs_with_each_calls_values(staff):
    """The statements every request runs keep their SQL text; each run still gets its own values,
    converted as the query would convert them (a user, or its id), and the same rows."""
    from models import Bound, LoginSession, User, UserRole, kept
    built = []

    def build():
        built.append(1)
        return (UserRole.select(UserRole.role)
                .where((UserRole.user == Bound("user")) & (UserRole.role != Bound("skip")))
                .order_by(UserRole.role).tuples())
    roles_of = kept(build)
    care, clerk = staff["care"], staff["clerk"]
    assert [role for (role,) in roles_of(user=care, skip="")] == sorted(care.roles)
    assert [role for (role,) in roles_of(user=clerk.id, skip="")] == sorted(clerk.roles)
    assert [role for (role,) in roles_of(user=care.id, skip="care_manager")] == sorted(care.roles - {"care_manager"})
    assert len(built) == 1
    # Rows of a join come back as the query gives them: a session with its user.
    LoginSession.create(token_hash="h", user=clerk, created_at=NOW, last_seen_at=NOW)
    live = kept(lambda: LoginSession.select(LoginSession, User).join(User).where(LoginSession.token_hash == Bound("t")))
    (row,) = list(live(t="h"))
    assert row.user.username == "clerk" and row.created_at == NOW and not list(live(t="other"))

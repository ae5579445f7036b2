"""A database made by the first release upgrades in place, keeping its rows."""
import os
import sqlite3
from datetime import timedelta

from helpers import ROOT, query_plan, sqlite_only

import accounts
import migrations
from deadlines import calendar_days
from migrations import open_and_upgrade
from models import Action, Clock, CompensationItem, Complaint, Notification, Setting, User, db, utcnow


def test_the_first_schema_upgrades_without_losing_rows(tmp_path):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:
        with open(os.path.join(ROOT, "tests", "data", "schema_v1.sql")) as f:
            old.executescript(f.read())
        old.execute("INSERT INTO user (username, display_name, password_hash, language, active, login_token,"
                    " created_at) VALUES ('wang', '王', 'x', 'zh_CN', 1, 'tok', '2026-01-01 00:00:00')")
        old.execute("INSERT INTO complaint (number, received_at, registered_at, registered_by_id, channel,"
                    " external_ref, business_line, customer_name, customer_phone, customer_type, vehicle_model,"
                    " vin, plate, category, demand, severity, major_facts, description, status, unfounded,"
                    " reopen_count, verified_facts, cause_class, cause, handling_method, solution, acceptance,"
                    " confirmed_in_writing, recourse_told, compensation_type, result, root_cause, improvement,"
                    " unfounded_explanation, close_reason, version, updated_at) VALUES ('TS-2026-0001',"
                    " '2026-01-02 01:00:00', '2026-01-02 01:00:00', 1, 'phone', '', 'sales', '李', '13800000000',"
                    " '', '', '', '', 'price', 'other', 'general', '', 'd', 'registered', 0, 0, '', '', '', '',"
                    " '', '', 0, '', '', '', '', '', '', '', 1, '2026-01-02 01:00:00')")
        old.execute("UPDATE complaint SET improvement = '每周抽查报价单', compensation_type = 'cash'")
    open_and_upgrade(f"sqlite:///{path}")
    try:
        complaint = Complaint.get()
        assert complaint.number == "TS-2026-0001" and complaint.waiting_reason == ""
        # Its deadlines run from when it was received, as if they had always existed.
        kinds = {c.kind: c for c in Clock.select().where(Clock.complaint == complaint)}
        assert set(kinds) == {"first_contact", "completion"}
        assert complaint.next_due_at == kinds["first_contact"].due_at
        assert User.get().email == "" and User.get().digest is False
        index_names = {row[1] for row in db.execute_sql("PRAGMA index_list(complaint)").fetchall()}
        assert "complaint_next_due_at" in index_names
        # Every index matches its rows (an index made before its column would not).
        assert db.execute_sql("PRAGMA integrity_check").fetchall() == [("ok",)]
        # An install from before the week could be set keeps its Monday-to-Friday week.
        assert [day["open"] for day in Setting.read("week")] == [True] * 5 + [False] * 2
        # Sessions no longer hang on a per-user token; the audit log refuses edits.
        assert "login_token" not in {c.name for c in db.get_columns("user")}
        # The free-text improvement measures became an open improvement action, and the column went.
        action = Action.get()
        assert (action.complaint_id, action.description, action.owner.username, action.status) == (
            complaint.id, "每周抽查报价单", "wang", "open")
        today = calendar_days.load_calendar().local_day(utcnow())
        assert action.due_on == today + timedelta(days=30) and action.next_step_at is not None
        assert "improvement" not in {c.name for c in db.get_columns("complaint")}
        # The one compensation it recorded became an item, approved and told (it had been given).
        item = CompensationItem.get()
        assert (item.complaint_id, item.kind, item.status, item.told_at is not None) == (
            complaint.id, "cash", "approved", True)
        triggers = {row[0] for row in db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        assert {"auditentry_no_update", "auditentry_kept_a_year"} <= triggers
        open_and_upgrade(f"sqlite:///{path}")  # running it again changes nothing
        assert Complaint.select().count() == 1 and Clock.select().count() == 2 and Action.select().count() == 1
        assert CompensationItem.select().count() == 1
    finally:
        db.close()


def test_a_new_install_opens_seven_days_a_week(app):
    from deadlines.calendar_days import load_calendar
    calendar = load_calendar()
    assert all(calendar.week)  # every weekday open
    assert Setting.read("week") is None


def test_a_new_database_gets_the_current_schema(app):
    accounts.create_user("x", "X", ["admin"], "a long password")
    columns = {c.name for c in db.get_columns("complaint")}
    assert {"next_due_at", "waiting_reason", "parts_stock"} <= columns


def test_an_index_made_before_its_column_by_an_earlier_upgrade_is_rebuilt(tmp_path):
    """What an earlier upgrade left: an index on a string constant, out of step with the rows."""
    path = tmp_path / "damaged.db"
    with sqlite3.connect(path) as old:
        old.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        old.execute('CREATE INDEX t_x ON t ("x")')  # no column x yet: SQLite indexes the string 'x'
        old.execute("INSERT INTO t (id) VALUES (1)")
        old.execute("ALTER TABLE t ADD COLUMN x INTEGER")
        assert old.execute("PRAGMA integrity_check").fetchone()[0] != "ok"
    open_and_upgrade(f"sqlite:///{path}")
    try:
        assert db.execute_sql("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        db.close()


def test_single_column_indexes_a_wider_index_serves_are_dropped(app):
    """Each index is one more tree a sweep writes for each of its thousands of rows: the ones on
    a column that a wider index already starts with are not made, and an upgrade drops them."""
    served = {"notification": ("user_id", "notification_user_id", "notification_user_id_read_at_created_at"),
              "escalation": ("clock_id", "escalation_clock_id", "escalation_clock_id_level_due_day")}

    def indexes(table):
        return {index.name for index in db.get_indexes(table)}
    for table, (column, narrow, wide) in served.items():
        assert wide in indexes(table) and narrow not in indexes(table)
        db.execute_sql(f'CREATE INDEX "{narrow}" ON "{table}" ("{column}")')  # as an earlier release made it
        assert narrow in indexes(table)
    open_and_upgrade(app.config["DATABASE_URL"])  # the next start
    for table, (_column, narrow, wide) in served.items():
        assert wide in indexes(table) and narrow not in indexes(table)


def test_a_notifications_call_and_action_are_indexed_only_where_set(app):
    """Most notifications are about a complaint: a plain index on their call and action held a
    row for each of them too, two more trees a sweep wrote for every notification. The indexes
    are partial now, an upgrade replaces the plain ones, and what deleting a call or an action
    asks for (its notifications) still reads them."""
    def indexes():
        return {index.name for index in db.get_indexes("notification")}
    for column in ("call_id", "action_id"):  # as an earlier release made them
        db.execute_sql(f'CREATE INDEX "notification_{column}" ON "notification" ("{column}")')
    open_and_upgrade(app.config["DATABASE_URL"])  # the next start
    assert {"notification_about_call", "notification_about_action"} <= indexes()
    assert not {"notification_call_id", "notification_action_id"} & indexes()
    for column, index in (("call_id", "notification_about_call"), ("action_id", "notification_about_action")):
        sql, params = Notification.select(Notification.id).where(getattr(Notification, column[:-3]) == 7).sql()
        assert index in query_plan(sql, params)


def test_an_index_another_worker_dropped_first_does_not_stop_the_start(app, monkeypatch):
    """The web workers and the consumer upgrade side by side as they start: an index a step drops
    may be gone by the time it acts ("no such index" failed a worker, and gunicorn stopped)."""
    db.execute_sql('CREATE INDEX "notification_user_id" ON "notification" ("user_id")')  # an earlier release's
    kind = type(db.obj)
    looked = kind.get_indexes

    def the_other_worker_drops_it_meanwhile(database, table, schema=None):
        found = looked(database, table, schema)
        database.execute_sql('DROP INDEX IF EXISTS "notification_user_id"')
        return found
    monkeypatch.setattr(kind, "get_indexes", the_other_worker_drops_it_meanwhile)
    step = migrations._drop_index("notification", "notification_user_id")
    step(db.obj, migrations._migrator(db.obj))  # this worker's step
    monkeypatch.undo()
    assert "notification_user_id" not in {index.name for index in db.get_indexes("notification")}
    open_and_upgrade(app.config["DATABASE_URL"])  # and the next start


def test_processes_starting_together_upgrade_one_at_a_time(app):
    """Every web worker and the consumer upgrade the schema as they start: on PostgreSQL two of
    them replacing the audit trigger at once failed one ("tuple concurrently updated"), and
    gunicorn stopped. One waits for the other to finish, then finds nothing left to do."""
    import subprocess
    import sys
    env = {**os.environ, "PYTHONPATH": ROOT}
    script = ("import sys, migrations; migrations.open_and_upgrade(sys.argv[1]); print('upgraded')")
    with migrations.one_upgrade_at_a_time(db.obj):  # this process is upgrading
        other = subprocess.Popen([sys.executable, "-c", script, app.config["DATABASE_URL"]], cwd=ROOT, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            other.wait(3)
        except subprocess.TimeoutExpired:
            pass
        assert other.poll() is None, other.stdout.read()  # it waits
    out, _ = other.communicate(timeout=60)
    assert other.returncode == 0 and "upgraded" in out, out


def test_a_new_install_keeps_its_seven_day_week_after_a_restart(app, make_complaint):
    make_complaint()
    open_and_upgrade(app.config["DATABASE_URL"])  # the next start
    assert Setting.read("week") is None



@sqlite_only
def test_notifications_before_calls_keep_their_rows_and_may_be_about_a_call(app, make_complaint, staff):
    """Before the call-back forms every notification was about a complaint (NOT NULL)."""
    complaint = make_complaint()
    Notification.create(user=staff["care"], complaint=complaint, kind="overdue", created_at=utcnow())
    db.close()
    path = app.config["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as old:
        sql, = old.execute("SELECT sql FROM sqlite_master WHERE name = 'notification'").fetchone()
        indexes = [row[0] for row in old.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = 'notification' AND type = 'index' AND sql IS NOT NULL")]
        rows = old.execute("SELECT * FROM notification").fetchall()
        old.execute("PRAGMA foreign_keys = OFF")
        old.execute("DROP TABLE notification")
        old.execute(sql.replace('"complaint_id" INTEGER', '"complaint_id" INTEGER NOT NULL', 1))
        for index in indexes:
            old.execute(index)
        old.executemany(f"INSERT INTO notification VALUES ({', '.join('?' * len(rows[0]))})", rows)
    assert next(c for c in _columns(path, "notification") if c[1] == "complaint_id")[3] == 1  # NOT NULL
    open_and_upgrade(app.config["DATABASE_URL"])  # the next start
    column = next(c for c in db.get_columns("notification") if c.name == "complaint_id")
    assert column.null
    assert len(db.get_indexes("notification")) == len(indexes) > 0  # its indexes came along
    assert Notification.get().complaint == complaint  # the rows too
    Notification.create(user=staff["clerk"], complaint=None, kind="due_today", created_at=utcnow())
    assert db.execute_sql("PRAGMA integrity_check").fetchall() == [("ok",)]


def _columns(path, table):
    with sqlite3.connect(path) as database:
        return database.execute(f"PRAGMA table_info({table})").fetchall()


@sqlite_only
def test_complaints_from_before_the_running_deadline_column_get_it_filled(app, make_complaint):
    """Upgraded from a release that did not keep it: each complaint's earliest running deadline
    is filled in once, so the overdue wall shows the late complaints of before the upgrade."""
    complaint = make_complaint()
    earliest = min(c.due_at for c in Clock.select().where(Clock.complaint == complaint))
    db.close()
    path = app.config["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as old:
        old.execute("DROP INDEX complaint_running_due")
        old.execute("ALTER TABLE complaint DROP COLUMN running_due_at")
        old.execute("DELETE FROM setting WHERE key = 'running_due_filled'")
    open_and_upgrade(app.config["DATABASE_URL"])  # the next start
    assert Complaint.get_by_id(complaint.id).running_due_at == earliest
    assert "complaint_running_due" in {index.name for index in db.get_indexes("complaint")}

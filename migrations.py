"""Bring an existing database up to the models, in place, without losing a row.

Every schema change so far adds tables, columns (nullable or with a default)
and indexes, so one generic step covers them all: create what is missing.
A change that renames or drops something gets its own step in STEPS below.
"""
from contextlib import contextmanager
from datetime import datetime, timedelta

try:
    import fcntl
except ImportError:  # Windows: no flock; there `make run` upgrades (init-db) before it starts anything
    fcntl = None

from peewee import PostgresqlDatabase, SqliteDatabase, chunked
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate

from models import MODELS, db, init_db


def _drop_columns(table, names):
    """A step that drops columns a release stopped using, with their indexes; once."""
    def step(database, migrator):
        present = {c.name for c in database.get_columns(table)}
        gone = [n for n in names if n in present]
        if not gone:
            return
        operations = [migrator.drop_index(table, index.name) for index in database.get_indexes(table)
                      if set(index.columns) & set(gone)]
        operations += [migrator.drop_column(table, name) for name in gone]
        with database.atomic():
            migrate(*operations)
    return step


def _rebuild_indexes_once(database, migrator):
    """Earlier upgrades made some indexes before their columns (see upgrade): rebuild them all, once."""
    from models import Setting
    if not isinstance(database, SqliteDatabase) or Setting.read("indexes_rebuilt"):
        return
    database.execute_sql("REINDEX")
    Setting.write("indexes_rebuilt", True)


# PostgreSQL's version of the two SQLite triggers below, raised as integrity errors as SQLite's are.
AUDIT_TRIGGER_PG = """
CREATE OR REPLACE FUNCTION auditentry_append_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    RAISE EXCEPTION 'the audit log is append-only' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF OLD.at > (now() AT TIME ZONE 'UTC') - interval '366 days' THEN
    RAISE EXCEPTION 'audit entries are kept at least a year' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN OLD;
END $$ LANGUAGE plpgsql;
CREATE OR REPLACE TRIGGER auditentry_append_only BEFORE UPDATE OR DELETE ON auditentry
  FOR EACH ROW EXECUTE FUNCTION auditentry_append_only();
"""


def _audit_is_append_only(database, migrator):
    """The audit log refuses updates, and deletes of entries younger than a year."""
    if isinstance(database, PostgresqlDatabase):
        database.execute_sql(AUDIT_TRIGGER_PG)
        return
    database.execute_sql(
        "CREATE TRIGGER IF NOT EXISTS auditentry_no_update BEFORE UPDATE ON auditentry "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END")
    database.execute_sql(
        "CREATE TRIGGER IF NOT EXISTS auditentry_kept_a_year BEFORE DELETE ON auditentry "
        "WHEN OLD.at > datetime('now', '-366 days') "
        "BEGIN SELECT RAISE(ABORT, 'audit entries are kept at least a year'); END")


def _before_the_week(database):
    """A database from before the showroom's week could be set: the first release (no
    calendar table) or the second (a calendar without `source`). A new one is neither."""
    tables = set(database.get_tables())
    if "complaint" not in tables:
        return False
    return "calendarday" not in tables or "source" not in {c.name for c in database.get_columns("calendarday")}


def _keep_the_weekday_week():
    """Such installs worked Monday to Friday at their working hours: they keep that week.
    New installs get the seven-day default."""
    from deadlines.calendar_days import WEEKDAYS_ONLY
    from models import Setting
    hours = Setting.read("working_hours") or {}
    names = {"start": "work_start", "end": "work_end", "lunch_start": "lunch_start", "lunch_end": "lunch_end"}
    Setting.write("week", [{**day, **{key: hours.get(old, day[key]) for key, old in names.items()}}
                           for day in WEEKDAYS_ONLY])


def _policy_units(database, migrator):
    """Once: the default 2-hour first contact counts working hours, and the closing callback
    is due the same working day, as the policy reads (README). A rule the administrator
    changed from its old default is left alone; so is anything changed after this step."""
    from models import ClockRule, Setting
    if Setting.read("policy_units_done"):
        return
    first_contact = (ClockRule.kind == "first_contact") & (ClockRule.amount == 2) & (ClockRule.unit == "hours") & (
        ((ClockRule.category == "product_quality") & (ClockRule.severity == "*"))
        | ((ClockRule.category == "*") & (ClockRule.severity == "major")))
    ClockRule.update(unit="working_hours").where(first_contact).execute()
    ClockRule.update(unit="same_working_day", amount=1).where(
        (ClockRule.kind == "callback") & (ClockRule.category == "*") & (ClockRule.severity == "*")
        & (ClockRule.amount == 24) & (ClockRule.unit == "hours")).execute()
    Setting.write("policy_units_done", True)


def _escalations_per_deadline(database, migrator):
    """Escalations were once per clock; now once per deadline day. Older rows belong to the
    deadline their clock has now, and the old one-per-clock key goes."""
    from deadlines.calendar_days import load_calendar
    from models import Clock, Escalation
    if "escalation_clock_id_level" not in {i.name for i in database.get_indexes("escalation")}:
        return
    calendar = load_calendar()
    rows = (Escalation.select(Escalation.id, Clock.due_at).join(Clock)
            .where(Escalation.due_day.is_null()).tuples())
    with database.atomic():
        for chunk in chunked(list(rows), 500):
            for escalation_id, due_at in chunk:
                Escalation.update(due_at=due_at, due_day=calendar.local_day(due_at)).where(
                    Escalation.id == escalation_id).execute()
        migrate(migrator.drop_index("escalation", "escalation_clock_id_level"))


def _notifications_about_calls(database, migrator):
    """A notification may be about a call rather than a complaint: its complaint may be empty."""
    column = next((c for c in database.get_columns("notification") if c.name == "complaint_id"), None)
    if column is not None and not column.null:
        with database.atomic():
            migrate(migrator.drop_not_null("notification", "complaint_id"))


def _improvements_into_actions(database, migrator):
    """The free-text 改进措施 of each complaint becomes an improvement action, owned by its
    handler (else a care manager, else whoever registered it): done already when the complaint
    is closed, else due in 30 days, so that an upgrade does not escalate years of old text as
    late at once. Then the column goes (the next step)."""
    if "improvement" not in {c.name for c in database.get_columns("complaint")}:
        return
    import improvements
    from deadlines.calendar_days import load_calendar
    from models import Action, User, UserRole, utcnow
    calendar, now = load_calendar(), utcnow()
    due_on = calendar.local_day(now) + timedelta(days=30)
    care = (User.select().join(UserRole).where(UserRole.role.in_(("care_manager", "admin")))
            .order_by(UserRole.role.desc(), User.id).first())
    rows = database.execute_sql(
        "SELECT id, improvement, handler_id, department_id, registered_by_id, closed_at FROM complaint "
        "WHERE TRIM(COALESCE(improvement, '')) != ''").fetchall()
    with database.atomic():
        for id_, text, handler, department, registered_by, closed_at in rows:
            owner = handler or (care.id if care else registered_by)
            action = Action(complaint=id_, department=department, description=text, owner=owner, due_on=due_on,
                            due_at=improvements.due_moment(due_on, calendar), created_by=owner, created_at=now,
                            status="done" if closed_at else "open", done_at=_as_time(closed_at))
            improvements.schedule(action, calendar)
            action.save()


def _as_time(value):
    """A raw SQLite timestamp as a datetime (PostgreSQL gives one already)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _compensation_into_items(database, migrator):
    """Once: the single compensation a complaint recorded before items existed becomes an item,
    approved and told (it was given), so the review's totals do not change."""
    from models import CompensationItem, Complaint, Setting
    if Setting.read("compensation_items_done"):
        return
    rows = (Complaint.select(Complaint.id, Complaint.compensation_type, Complaint.compensation_cost,
                             Complaint.handler, Complaint.registered_by, Complaint.updated_at)
            .where(Complaint.compensation_type.not_in(("", "none"))).tuples())
    with database.atomic():
        for id_, kind, cost, handler, registered_by, at in rows:
            CompensationItem.create(complaint=id_, kind=kind, amount=cost, status="approved",
                                    created_by=handler or registered_by, created_at=at, decided_at=at,
                                    told_by=handler or registered_by, told_at=at,
                                    decision_reason="")
        Setting.write("compensation_items_done", True)


def _drop_index(table, name):
    """A step that drops an index a release replaced by another (made by the generic step).
    `table` is named for the reader: an index's name is unique in the database.

    It used to look for the index and then drop it. Two workers upgrading side by side could
    both find it, and the second to drop it failed to start ("no such index"), which stopped
    the whole web server. Upgrades now take turns (one_upgrade_at_a_time); IF EXISTS also
    makes the look and the drop one statement (SQLite and PostgreSQL both have it)."""
    def step(database, migrator):
        database.execute_sql(f'DROP INDEX IF EXISTS "{name}"')
    return step


def _running_due_filled(database, migrator):
    """Once: the earliest running deadline of every complaint with a clock running, for the
    overdue wall (see Complaint.running_due_at)."""
    from models import Setting
    if Setting.read("running_due_filled"):
        return
    with database.atomic():
        database.execute_sql(
            "UPDATE complaint SET running_due_at = (SELECT MIN(clock.due_at) FROM clock "
            "WHERE clock.complaint_id = complaint.id AND clock.met_at IS NULL "
            "AND clock.stopped_at IS NULL AND clock.paused_since IS NULL) "
            "WHERE id IN (SELECT complaint_id FROM clock WHERE met_at IS NULL AND stopped_at IS NULL)")
        Setting.write("running_due_filled", True)


def _case_search_index(database, migrator):
    import cases
    cases.create_text_index(database)


# Steps for changes the generic one cannot make, in order; each does nothing when done already.
STEPS = [
    _rebuild_indexes_once,
    # Sessions live in LoginSession rows now, not behind a per-user token.
    _drop_columns("user", ["login_token"]),
    # Personal webhooks are gone: robots are set per department by the administrator.
    _drop_columns("user", ["webhook_url", "webhook_format", "webhook_kinds"]),
    _audit_is_append_only,
    _policy_units,
    _escalations_per_deadline,
    _notifications_about_calls,
    # The free-text improvement measures became improvement actions.
    _improvements_into_actions,
    _drop_columns("complaint", ["improvement"]),
    _case_search_index,
    # One compensation per complaint became several items, each approved as the policy asks.
    _compensation_into_items,
    # The running clocks' index now holds the pause and the complaint as well (clock_running_due).
    _drop_index("clock", "clock_open_due"),
    # The open complaints' deadline index now holds what the inbox filters and counts by.
    _drop_index("complaint", "complaint_open_by_due"),
    # The overdue wall reads each complaint's earliest running deadline off the complaint.
    _running_due_filled,
    _drop_index("complaint", "complaint_board_row"),
    # The review's "open at the period's end" reads complaints by closing time first now.
    _drop_index("complaint", "complaint_received_at_closed_at_reopen_count"),
    # Single-column indexes that a wider index starting with the same column already serves.
    _drop_index("notification", "notification_user_id"),
    _drop_index("escalation", "escalation_clock_id"),
    # A notification's call and action are indexed where set (notification_about_call, _action).
    _drop_index("notification", "notification_call_id"),
    _drop_index("notification", "notification_action_id"),
    # (Not clock.complaint_id, though (complaint_id, kind) starts with it: without it PostgreSQL
    # planned the review's twelve-month trend at 168-183 ms instead of about 40.)
]


def _migrator(database):
    if isinstance(database, SqliteDatabase):
        return SqliteMigrator(database)
    if isinstance(database, PostgresqlDatabase):
        return PostgresqlMigrator(database)
    raise RuntimeError(f"no migrator for {type(database).__name__}")


def open_and_upgrade(url, pooled=False):
    """Open the database at url and bring its schema up to date."""
    database = init_db(url, pooled)
    with db.connection_context(), one_upgrade_at_a_time(database):
        upgrade(database, MODELS)
    return database


UPGRADE_LOCK = 7_420_261  # PostgreSQL advisory lock key: any number the app alone uses


@contextmanager
def one_upgrade_at_a_time(database):
    """Every web worker and the consumer upgrade the schema as they start, side by side: on
    PostgreSQL two workers replacing the audit trigger's function at once failed one of them
    ("tuple concurrently updated") and gunicorn stopped; a step that looks before it acts can
    fail the same way on either database. The others wait here until the first is done (and
    then find nothing left to do)."""
    if isinstance(database, PostgresqlDatabase):
        database.execute_sql("SELECT pg_advisory_lock(%s)", (UPGRADE_LOCK,))
        try:
            yield
        finally:
            database.execute_sql("SELECT pg_advisory_unlock(%s)", (UPGRADE_LOCK,))
        return
    path = database.database
    if fcntl is None or not path or path == ":memory:":
        yield
        return
    with open(f"{path}.upgrade-lock", "a") as lock:  # beside the database: every process opens the same file
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def upgrade(database, models):
    """Create missing tables, then add missing columns, then their indexes.

    A table that exists gets its indexes only after its new columns: SQLite reads an
    index on a column that does not exist yet as one on a string constant, and the
    index then disagrees with its rows once the column comes.
    """
    first_release, before_the_week = _is_first_release(database), _before_the_week(database)
    existing = set(database.get_tables())
    database.create_tables([m for m in models if m._meta.table_name not in existing], safe=True)
    migrator = _migrator(database)
    sqlite = isinstance(database, SqliteDatabase)
    if sqlite:
        # SQLite makes a NOT NULL column by copying the table; foreign keys
        # pointing at it would refuse the copy, so they are checked after.
        database.execute_sql("PRAGMA foreign_keys = OFF")
    try:
        _add_missing(database, migrator, models)
    finally:
        if sqlite:
            database.execute_sql("PRAGMA foreign_keys = ON")
    if sqlite and database.execute_sql("PRAGMA foreign_key_check").fetchall():
        raise RuntimeError("the upgrade left rows pointing at nothing; restore the backup")
    for step in STEPS:
        step(database, migrator)
    if before_the_week:
        _keep_the_weekday_week()
    if first_release:  # after the steps: its clocks follow the week the install kept
        _start_clocks(database)


def _is_first_release(database):
    """A database of the first release: complaints, but no clocks table yet."""
    tables = set(database.get_tables())
    return "complaint" in tables and "clock" not in tables


def _start_clocks(database):
    from deadlines import calendar_days, clocks
    with database.atomic():
        clocks.backfill(calendar_days.load_calendar())


def _without_index(field):
    # Indexes are made afterwards, once, by create_indexes(safe=True).
    column = field.clone()
    column.index = column.unique = False
    return column


def _columns(database):
    """{table: its column names}. PostgreSQL's catalog answers for every table at once (a
    query per table made each start, and each test, a third of a second slower)."""
    if isinstance(database, PostgresqlDatabase):
        rows = database.execute_sql("SELECT table_name, column_name FROM information_schema.columns "
                                    "WHERE table_schema = current_schema()").fetchall()
        found = {}
        for table, column in rows:
            found.setdefault(table, set()).add(column)
        return found
    return {table: {c.name for c in database.get_columns(table)} for table in database.get_tables()}


def _add_missing(database, migrator, models):
    columns = _columns(database)
    for model in models:
        table = model._meta.table_name
        present = columns.get(table, set())
        missing = [f for f in model._meta.sorted_fields if f.column_name not in present]
        with database.atomic():
            migrate(*[migrator.add_column(table, f.column_name, _without_index(f)) for f in missing])
        # Indexes (named ones included) are created only if absent.
        model._schema.create_indexes(safe=True)

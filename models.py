"""The data: users, departments, complaints and their events.

Models hold no policy: the lifecycle lives in workflow.py, who may see what in
permissions.py. Times are naive UTC datetimes.
"""
import collections
import io
import json
import os
import time
from datetime import UTC, date, datetime
from decimal import Decimal

from flask_login import UserMixin
from peewee import (
    JOIN,
    SQL,
    AutoField,
    BooleanField,
    CharField,
    DatabaseProxy,
    DateField,
    DateTimeField,
    DecimalField,
    DeferredForeignKey,
    ForeignKeyField,
    IntegerField,
    Model,
    Node,
    PostgresqlDatabase,
    Select,
    SqliteDatabase,
    TextField,
)
from playhouse.db_url import connect

db = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 5000,
    "synchronous": "full",
    # The task consumer copies the log back into the database after each sweep (checkpoint());
    # a commit does it itself only past this many pages (40 MB), when the consumer is down.
    "wal_autocheckpoint": 10_000,
}

ALL_SEEING_ROLES = {"care_manager", "general_manager", "admin", "callback_clerk"}
OPEN_STATUSES = ("registered", "in_progress", "awaiting_callback")


def checkpoint():
    """On SQLite: copy the write-ahead log's pages back into the database file, without waiting
    for anyone (PASSIVE: what readers still need stays for the next time).

    SQLite's default is to have whichever commit takes the log past 1,000 pages do this, and
    wait for it: a member of staff saving a complaint, or the sweep, now and then paid 10-20 ms
    (more on a slow disk) for pages others wrote. The task consumer does it every minute instead,
    after the sweep and outside its transactions (tasks.deadline_sweep). PostgreSQL has its own
    checkpointer."""
    if isinstance(db.obj, SqliteDatabase):
        db.execute_sql("PRAGMA wal_checkpoint(PASSIVE)")


def utcnow():
    return datetime.now(UTC).replace(tzinfo=None)


# A pooled connection is handed back at the end of a request and taken again by the next one,
# instead of each request opening the database: a new PostgreSQL connection starts a server
# process (milliseconds), and a new SQLite one reads the schema and sets the pragmas again.
POOL = {"max_connections": 32, "stale_timeout": 300, "timeout": 10}


def open_database(url, pooled=False):
    """Open the database named by url; SQLite gets the pragmas of DESIGN.md §2."""
    scheme, rest = url.split("://", 1)
    if pooled and "+" not in scheme:
        url = f"{scheme}+pool://{rest}"
    options = POOL if pooled else {}
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        return connect(url, pragmas=SQLITE_PRAGMAS, check_same_thread=False, **options)
    return connect(url, **options)


def close_all():
    """Close this process's connections, pooled ones too (before a restore replaces the file)."""
    db.close()
    if hasattr(db.obj, "close_all"):
        db.obj.close_all()


def init_db(url, pooled=False):
    """Point the proxy at url (migrations.upgrade brings its schema up to date)."""
    database = open_database(url, pooled)
    db.initialize(database)
    return database


def refresh_statistics():
    """Let the planner know the table sizes (it then reads the open queue off its partial
    index); run at start-up and nightly. (PostgreSQL's autovacuum also does this by itself.)"""
    db.execute_sql("ANALYZE")


def write_transaction():
    """A transaction for read-modify-write.

    On SQLite it takes the write lock at BEGIN, so two saves cannot both read
    the same counter or version; on PostgreSQL rows are locked FOR UPDATE.
    """
    if isinstance(db.obj, SqliteDatabase):
        return db.atomic(lock_type="IMMEDIATE")
    return db.atomic()


WRITERS_WAIT = 0.12  # seconds; longer than the 100 ms between a waiting writer's tries to take the lock
HOLD_AT_MOST = 0.5  # seconds of back-to-back write transactions before other writers get a turn


class WriterTurns:
    """Pauses in a long run of write transactions (a sweep after an outage), so others get in.

    SQLite's write lock is not fair: a writer that waits retries every 100 ms or so, and a
    loop that takes the lock again the moment it commits can keep it out until its
    busy_timeout runs out ("database is locked"). After every HOLD_AT_MOST seconds of
    writing, the loop pauses WRITERS_WAIT, so a staff member's save or the other periodic
    task waits about half a second at most, and a long sweep costs about a fifth more.
    PostgreSQL locks rows, not the database, and needs no pause.
    """

    def __init__(self):
        self.since = time.monotonic()

    def between_transactions(self):
        if isinstance(db.obj, SqliteDatabase) and time.monotonic() - self.since >= HOLD_AT_MOST:
            time.sleep(WRITERS_WAIT)
            self.since = time.monotonic()


def bulk_insert(model, rows):
    """Insert many rows at once: on SQLite one prepared statement repeated (executemany), on
    PostgreSQL one COPY.

    Peewee's insert_many builds SQL value by value, which costs more than the
    database itself for a sweep's thousands of rows; this converts each column
    with its field and hands the rows to the driver in one go.
    """
    if not rows:
        return
    fields = [f for f in model._meta.sorted_fields if not isinstance(f, AutoField)]
    columns = ", ".join(f'"{f.column_name}"' for f in fields)
    as_text = not isinstance(db.obj, PostgresqlDatabase)
    values = [_column(field, rows, as_text) for field in fields]
    if not as_text:
        _copy(model._meta.table_name, columns, values)
        return
    sql = 'INSERT INTO "{}" ({}) VALUES ({})'.format(model._meta.table_name, columns,
                                                      ", ".join([db.param] * len(fields)))
    db.cursor().executemany(sql, list(zip(*values, strict=True)))


def _copy(table, columns, values):
    """PostgreSQL: the rows (given column by column) in one COPY. psycopg2 wrote the text of an
    INSERT's rows one mogrify() call per row, 10-15 us each: a third of a sweep's time there."""
    texts = [_copy_texts(column) for column in values]
    data = io.StringIO("".join(["\t".join(row) + "\n" for row in zip(*texts, strict=True)]))
    db.cursor().copy_expert(f'COPY "{table}" ({columns}) FROM STDIN', data)


# COPY's text format: a tab between values, a newline after a row, \N for nothing; a backslash,
# tab, newline or carriage return in text is written as its escape.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value):
    """A value as COPY's text; the models' fields give no other kinds (a new kind fails here)."""
    if value is None:
        return "\\N"
    if type(value) is bool:
        return "t" if value else "f"
    if isinstance(value, str):
        return str.translate(value, _COPY_ESCAPES)
    if isinstance(value, date):  # a datetime too
        return value.isoformat(" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, int):
        return f"{value:d}"
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"COPY does not take {type(value).__name__} here")


def _copy_texts(column):
    """A column's values as COPY text; a column of mixed kinds (True is also 1) value by value."""
    if len(set(map(type, column)) - {type(None)}) > 1:
        return [_copy_text(value) for value in column]
    return _each_once(column, _copy_text)


def _each_once(values, convert):
    """[convert(value) for value in values], converting each distinct value once: a sweep's rows
    share a few values (now, each deadline's due time and day, a handful of people)."""
    converted = {value: convert(value) for value in set(values)}
    return [converted[value] for value in values]


# The Python type each kind of field hands to the driver unchanged (peewee's db_value returns it
# as it is): a column of such values skips the call, which was a third of a sweep's insert time.
_HANDED_AS_IS = {AutoField: int, IntegerField: int, CharField: str, TextField: str, BooleanField: bool,
                 DateTimeField: datetime, DateField: date}
_MISSING = object()


def _column(field, rows, as_text):
    """One column of `rows` as the driver is to get it: the field's default where a row has no
    value, each value through the field's db_value unless it would come back unchanged, and on
    SQLite a datetime or date as the text sqlite3 would write for it, once per distinct value
    (sqlite3 writes each datetime it is given with isoformat(" "), about a microsecond each)."""
    name = field.name
    values = [row.get(name, _MISSING) for row in rows]
    if _MISSING in values:
        default = field.default
        values = [(default() if callable(default) else default) if value is _MISSING else value
                  for value in values]
    kind = _HANDED_AS_IS.get(type(field.rel_field if isinstance(field, ForeignKeyField) else field))
    if as_text and kind in (datetime, date):
        def text(value):
            value = value if value is None or type(value) is kind else field.db_value(value)
            if value is None or type(value) is str:
                return value
            return value.isoformat(" ") if isinstance(value, datetime) else value.isoformat()
        return _each_once(values, text)
    if kind is not None and set(map(type, values)) <= {kind, type(None)}:
        return values
    return [value if value is None or type(value) is kind else field.db_value(value) for value in values]


class Bound(Node):
    """A value named in a kept statement's query, given each time the statement runs."""

    def __init__(self, name):
        super().__init__()
        self.name = name

    def __sql__(self, ctx):
        # The place of a parameter, and how the field beside it converts a value (as ctx.value would).
        ctx._values.append(_Slot(self.name, ctx.state.converter))
        return ctx.literal(ctx.state.param or "?")


_Slot = collections.namedtuple("_Slot", "name convert")


class Ids(Node):
    """Row ids for `field.in_(Ids(ids))`, written as one run of placeholders.

    Peewee writes each value of a list as a node of its own, about 6 microseconds an id: a
    sweep of 1,000 due deadlines spent about 20 ms on its three lists of 1,000 ids. Ids are
    integers, which the driver takes as they are."""

    def __init__(self, ids):
        super().__init__()
        self.ids = list(ids)

    def __sql__(self, ctx):
        if not self.ids:
            return ctx.literal("(NULL)")  # matches nothing, as peewee's empty IN does
        ctx._values.extend(self.ids)
        return ctx.literal("(" + ", ".join([ctx.state.param or "?"] * len(self.ids)) + ")")


def kept(build):
    """A statement of one shape that runs on every request (who is logged in, their roles, the
    unread count, a setting, the calendar) or on a page staff open all day (a complaint's, the
    notifications), its SQL text written once per process and kind of database.

    `build()` makes the query once, with Bound("name") where a value goes; calling the kept
    statement with name=value runs it and gives its rows as the query would. Peewee writes a
    statement's text anew each time it runs: for these it cost more than the database (the
    bell, which every open page asks for each minute, spent a third of its time on it, and a
    complaint's page about 8 of its 22 ms)."""
    written = {}

    def execute(values):
        kind = type(db.obj)
        if kind not in written:  # (two threads may both write it once: the same text)
            query = build()
            written[kind] = (query, *query.sql())
        query, sql, params = written[kind]
        args = [(p.convert(values[p.name]) if p.convert else values[p.name]) if isinstance(p, _Slot) else p
                for p in params]
        return query, db.execute_sql(sql, args)

    def run(**values):
        query, cursor = execute(values)
        return query._get_cursor_wrapper(cursor)

    def first(**values):
        """The statement's first row, or None."""
        return next(iter(run(**values)), None)

    def unconverted(**values):
        """The rows as the driver hands them back, no value converted (SQLite gives a time as its
        text: see read_moment). Peewee's reading of each row took half the time of a sweep's
        read of its due deadlines."""
        return execute(values)[1].fetchall()
    run.first, run.unconverted = first, unconverted
    return run


def read_moment(value):
    """A date-time column's value from an unconverted row: SQLite stores it as ISO text, which
    PostgreSQL's driver has turned into a datetime already."""
    return datetime.fromisoformat(value) if type(value) is str else value


def kept_shapes(build):
    """kept() for a statement with a few shapes (whose rows a user sees, say). `build(*shape)` makes
    the query of one shape; as a decorator, `build(*shape)` then gives that shape's kept statement,
    its SQL written when the shape is first asked for."""
    shapes = {}

    def of(*shape):
        statement = shapes.get(shape)
        if statement is None:  # (two threads may both make it: the same statement)
            statement = shapes[shape] = kept(lambda: build(*shape))
        return statement
    return of


def one_row(**columns):
    """SELECT (…) AS name, …: one row of named scalar subqueries (counts, say), as a dict. Bound to
    the database, so that it writes that database's placeholders: a Select of no model knows none."""
    return Select(columns=[query.alias(name) for name, query in columns.items()]).bind(db).dicts()


def lock_for_update(query):
    return query if isinstance(db.obj, SqliteDatabase) else query.for_update()


class BaseModel(Model):
    class Meta:
        database = db


class Department(BaseModel):
    # Built-in departments have a fixed code and a translated name; departments
    # the administrator adds carry the name they were given.
    code = CharField(max_length=40, unique=True)
    name = CharField(max_length=60)
    active = BooleanField(default=True)
    # A group robot (WeChat Work / DingTalk) or any JSON endpoint for the department.
    webhook_url = CharField(max_length=500, default="")
    webhook_format = CharField(max_length=20, default="")
    webhook_allow_lan = BooleanField(default=False)  # the administrator says it is on the dealership's LAN

    @classmethod
    def listed(cls):
        return cls.select().where(cls.active).order_by(cls.id)

    @property
    def label(self):
        return self.label_of(self.code, self.name)

    @staticmethod
    def label_of(code, name):
        """The translated name of a built-in department, else the name given."""
        import catalog
        return catalog.label("department", code) if code in catalog.BUILT_IN_CODES else name


class User(BaseModel, UserMixin):
    username = CharField(max_length=40, unique=True)
    display_name = CharField(max_length=60)
    password_hash = CharField(max_length=200)
    department = ForeignKeyField(Department, null=True, backref="users", on_delete="SET NULL")
    language = CharField(max_length=10, default="zh_CN")
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)
    # A generated password (the first administrator's, or one an administrator
    # gave out) is changed by its owner before anything else.
    must_change_password = BooleanField(default=False)
    # Where notifications reach the user besides the bell, and which kinds.
    email = CharField(max_length=120, default="")
    email_kinds = CharField(max_length=120, default="")    # comma-separated notification kinds
    digest = BooleanField(default=False)  # one summary a day instead of single alerts
    last_digest_at = DateTimeField(null=True)

    @property
    def is_active(self):
        return self.active

    session_token = None  # set for the request by the session that logged the user in

    def get_id(self):
        # Flask-Login keeps this in the session cookie: the token of the LoginSession
        # row made at login, never anything that outlives a logout.
        return self.session_token

    @property
    def roles(self):
        if not hasattr(self, "_roles"):
            self._roles = {role for (role,) in _roles_of(user=self.id)}
        return self._roles

    def has_role(self, *roles):
        return bool(self.roles & set(roles))

    @property
    def sees_everything(self):
        return bool(self.roles & ALL_SEEING_ROLES)

    @classmethod
    def names_of(cls, ids):
        """{id: display name} of these users: their ids and names alone (whole rows carry password
        hashes and all), and no query for none."""
        ids = [id_ for id_ in ids if id_]
        return dict(cls.select(cls.id, cls.display_name).where(cls.id.in_(ids)).tuples()) if ids else {}

    @classmethod
    def active_staff(cls):
        return cls.select().where(cls.active).order_by(cls.display_name)

    @classmethod
    def with_roles(cls, users):
        """Fill the roles of many users with one query."""
        users = list(users)
        by_id = {u.id: u for u in users}
        for u in users:
            u._roles = set()
        for r in UserRole.select().where(UserRole.user.in_(list(by_id))):
            by_id[r.user_id]._roles.add(r.role)
        return users


class LoginSession(BaseModel):
    """One login on one browser (accounts.py). Logging out, a password reset, disabling
    the user, or the idle and absolute time limits end it on the server."""
    token_hash = CharField(max_length=64, unique=True)  # sha256 of the token in the cookie
    user = ForeignKeyField(User, backref="login_sessions", on_delete="CASCADE")
    created_at = DateTimeField()
    last_seen_at = DateTimeField()
    ended_at = DateTimeField(null=True)
    ended_why = CharField(max_length=20, default="")  # logout, idle, expired, password, disabled
    ip = CharField(max_length=45, default="")
    user_agent = CharField(max_length=200, default="")

    class Meta:
        indexes = ((("user", "ended_at"), False),)


class UserRole(BaseModel):
    user = ForeignKeyField(User, backref="role_rows", on_delete="CASCADE")
    role = CharField(max_length=30)

    class Meta:
        indexes = ((("user", "role"), True),)


_roles_of = kept(lambda: UserRole.select(UserRole.role).where(UserRole.user == Bound("user")).tuples())


class NumberCounter(BaseModel):
    """The last complaint number issued per year; never goes back, so never reused."""
    year = IntegerField(primary_key=True)
    last = IntegerField(default=0)


class Complaint(BaseModel):
    number = CharField(max_length=20, unique=True)
    received_at = DateTimeField(index=True)
    registered_at = DateTimeField()
    registered_by = ForeignKeyField(User, backref="registered")
    channel = CharField(max_length=20, index=True)
    external_ref = CharField(max_length=60, default="")
    business_line = CharField(max_length=20)

    customer_name = CharField(max_length=60, index=True)
    customer_phone = CharField(max_length=20, index=True)
    customer_type = CharField(max_length=20, default="")
    vehicle_model = CharField(max_length=60, default="")
    vin = CharField(max_length=17, default="", index=True)
    plate = CharField(max_length=12, default="", index=True)
    delivery_date = DateField(null=True)

    category = CharField(max_length=30, index=True)
    demand = CharField(max_length=30)
    severity = CharField(max_length=20, index=True)
    major_facts = CharField(max_length=120, default="")  # comma-separated codes
    description = TextField()

    department = ForeignKeyField(Department, null=True, backref="complaints")
    handler = ForeignKeyField(User, null=True, backref="handling")
    person_involved = ForeignKeyField(User, null=True, backref="involved_in")

    status = CharField(max_length=20, default="registered")
    # Verification and dispatch (policy §4.1.2): the care manager verifies and hands it to the
    # department, whose manager acknowledges receipt (the form's 签字确认).
    awaiting_dispatch = BooleanField(default=False)  # indexed below, where it is true
    dispatched_at = DateTimeField(null=True)
    dispatched_by = ForeignKeyField(User, null=True, backref="dispatched")
    acknowledged_at = DateTimeField(null=True)
    acknowledged_by = ForeignKeyField(User, null=True, backref="acknowledged")
    # The earliest due time of its open clocks: the inbox sorts on it.
    next_due_at = DateTimeField(null=True, index=True)
    # The earliest due time of its running clocks, paused ones left out: it is late once this has
    # passed (the overdue wall). Kept with next_due_at by deadlines.clocks.refresh_next_due.
    running_due_at = DateTimeField(null=True)
    waiting_reason = CharField(max_length=40, default="")
    parts_stock = CharField(max_length=20, default="")  # "", own, sister, out
    parts_served_at = DateTimeField(null=True)  # all parts arrived and the customer served
    unfounded = BooleanField(default=False)
    reopen_count = IntegerField(default=0)
    # The latest earlier complaint of the same phone or VIN within the repeat window (process.py);
    # the later ones are its `repeats`.
    repeat_of = ForeignKeyField("self", null=True, backref="repeats", on_delete="SET NULL")

    # The handling form (处理表).
    verified_facts = TextField(default="")
    cause_class = CharField(max_length=30, default="")
    cause = TextField(default="")
    handling_method = TextField(default="")
    solution = TextField(default="")
    acceptance = CharField(max_length=20, default="")  # "", pending, accepted, rejected
    confirmed_in_writing = BooleanField(default=False)
    recourse_told = CharField(max_length=80, default="")  # comma-separated codes
    compensation_type = CharField(max_length=30, default="")
    compensation_cost = DecimalField(max_digits=12, decimal_places=2, null=True)
    result = TextField(default="")
    root_cause = TextField(default="")
    responsibility = CharField(max_length=30, default="")  # the finding (catalog.RESPONSIBILITY)
    unfounded_explanation = TextField(default="")
    first_contact_at = DateTimeField(null=True)
    # Product quality and major complaints go to the general manager at once (policy §4.2.2.3);
    # a major one is also reported to the manufacturer's regional staff.
    told_at_once_at = DateTimeField(null=True)
    region_reported_at = DateTimeField(null=True)
    region_report = TextField(default="")
    resolved_at = DateTimeField(null=True)
    closed_at = DateTimeField(null=True)
    close_reason = TextField(default="")

    version = IntegerField(default=1)
    updated_at = DateTimeField()

    class Meta:
        indexes = (
            (("status", "received_at"), False),
            (("department", "status", "received_at"), False),
            (("handler", "status", "received_at"), False),
            (("registered_by", "status", "received_at"), False),
            # The review's "open at the period's end" reads these alone, without the table: the
            # open ones (no closing time) and those closed after the end, two ranges.
            (("closed_at", "received_at", "reopen_count"), False),
        )

    @property
    def major_fact_list(self):
        return [f for f in self.major_facts.split(",") if f]

    @property
    def recourse_list(self):
        return [f for f in self.recourse_told.split(",") if f]

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    @classmethod
    def visible_to(cls, user):
        """The complaints a user may see (DOMAIN.md §1, issue 2 permissions)."""
        seen = cls.seen_by(cls.sight(user), user.id, user.department_id)
        return cls.select() if seen is None else cls.select().where(seen)

    @staticmethod
    def sight(user):
        """Which complaints a user sees: "all", "own" (registered or handled by them), or
        "department" (those and their department's)."""
        if user.sees_everything:
            return "all"
        return "department" if user.has_role("department_manager") and user.department_id else "own"

    @classmethod
    def seen_by(cls, sight, user_id, department_id):
        """The condition for the complaints of this sight (None: all of them). The ids may be
        Bound: a kept statement writes the condition once for every user of that sight."""
        if sight == "all":
            return None
        mine = (cls.registered_by == user_id) | (cls.handler == user_id)
        return mine | (cls.department == department_id) if sight == "department" else mine

    @classmethod
    def matching(cls, q):
        """Search by number, customer name, phone, plate or VIN (each by its start,
        so every term is an index range scan)."""
        upper = q.upper().replace(" ", "")
        terms = [(cls.number, upper), (cls.customer_name, q), (cls.customer_phone, q.replace(" ", "")),
                 (cls.plate, upper), (cls.vin, upper)]
        match = None
        for column, value in terms:
            term = (column >= value) & (column < value + "\uffff")
            match = term if match is None else (match | term)
        return match

    @classmethod
    def repeated(cls, complaint, since):
        """The latest other complaint of the same phone or VIN received between `since` and this one."""
        same = cls.customer_phone == complaint.customer_phone
        if complaint.vin:
            same |= cls.vin == complaint.vin
        return (cls.select().where(same & (cls.id != complaint.id) & (cls.received_at >= since)
                                   & (cls.received_at <= complaint.received_at))
                .order_by(cls.received_at.desc(), cls.id.desc()).first())

    @classmethod
    def earlier_for(cls, phone, vin, limit=5):
        """Earlier complaints of the same customer (phone) or vehicle (VIN)."""
        match = None
        if phone:
            match = cls.customer_phone == phone
        if vin:
            match = (cls.vin == vin) if match is None else (match | (cls.vin == vin))
        if match is None:
            return []
        return list(cls.select().where(match).order_by(cls.received_at.desc()).limit(limit))


# "The complaint is open", with the statuses written into the SQL text. A partial index on open
# complaints is used only by a query whose WHERE repeats the index's own condition, and a bound
# `status IN (?, ?, ?)` never does: the default inbox then read 90,000 closed complaints off the
# plain due-date index before its first open one (tests/test_models.py reads the plan).
IS_OPEN = Complaint.status.in_(SQL("(" + ", ".join(f"'{status}'" for status in OPEN_STATUSES) + ")"))

# The open queue, oldest first: a partial index, so the inbox reads the first page
# of open complaints straight off it, however many closed ones the years add.
Complaint.add_index(Complaint.index(Complaint.received_at, Complaint.id, name="complaint_open_queue")
                    .where(IS_OPEN))
# The care manager's triage list and its count: a few rows among a hundred thousand; a plain
# index on a true/false column looks to SQLite no better than reading the table.
Complaint.add_index(Complaint.index(Complaint.received_at, Complaint.id, Complaint.status,
                                    name="complaint_to_dispatch").where(Complaint.awaiting_dispatch == True))  # noqa: E712
# A complaint's later repeats, in order. Most complaints repeat nothing, so SQLite's statistics
# make the plain foreign-key index look useless and it would read the table in received order.
Complaint.add_index(Complaint.index(Complaint.repeat_of, Complaint.received_at, name="complaint_repeats")
                    .where(Complaint.repeat_of.is_null(False)))
# The overdue wall ranks and counts the late complaints off this index alone, with no clock read:
# joining every late clock to its complaint cost the wall 10-12 ms at 5,000 late.
Complaint.add_index(Complaint.index(Complaint.running_due_at, Complaint.severity, Complaint.department,
                                    Complaint.handler, name="complaint_running_due")
                    .where(Complaint.running_due_at.is_null(False)))
# The inbox's default order: what falls due first comes first. It also holds what the open inbox
# filters and counts by (who may see it, status, category, severity...), so that its counts read the
# index alone: "12 complaints", "overdue", "due within 4 hours" for a manager or for a filter read
# 10,000 rows without them (6-10 ms each). With the status among its columns SQLite knows it holds all
# it needs and prefers it. (It replaced complaint_open_by_due, on the deadline and id only.)
Complaint.add_index(Complaint.index(
    Complaint.next_due_at, Complaint.id, Complaint.status, Complaint.department, Complaint.handler,
    Complaint.registered_by, Complaint.category, Complaint.severity, Complaint.channel, Complaint.business_line,
    Complaint.cause_class, Complaint.received_at, name="complaint_open_deadlines").where(IS_OPEN))


class Event(BaseModel):
    """One step in a complaint's life; append-only (the timeline and audit trail)."""
    complaint = ForeignKeyField(Complaint, backref="events", on_delete="RESTRICT")
    at = DateTimeField()
    actor = ForeignKeyField(User, null=True)
    kind = CharField(max_length=30)
    text = TextField(default="")
    data = TextField(default="{}")  # {"changes": {field: [before, after]}, ...}

    class Meta:
        # (kind, at): the monthly figures read a period's closings and callbacks by kind and time;
        # without it each of those reads scanned every event (70-100 ms at 700,000, three periods a report).
        indexes = ((("complaint", "at"), False), (("kind", "at"), False))

    @property
    def payload(self):
        return json.loads(self.data or "{}")

    @classmethod
    def timeline(cls, complaint):
        actor = User.alias()
        # Of the actor only who they are and the name shown: reading whole user rows cost a long
        # timeline (300 entries) a third of its page.
        return (cls.select(cls, actor.id, actor.username, actor.display_name)
                .join(actor, on=(cls.actor == actor.id), join_type=JOIN.LEFT_OUTER, attr="actor")
                .where(cls.complaint == complaint)
                .order_by(cls.at, cls.id))

    def save(self, *args, **kwargs):
        if self.id is not None:
            raise RuntimeError("events are append-only")
        return super().save(*args, **kwargs)

    def delete_instance(self, *args, **kwargs):
        raise RuntimeError("events are append-only")


def last_changed_by(complaint_id):
    event = (Event.select(Event, User).join(User, on=(Event.actor == User.id), attr="actor")
             .where(Event.complaint == complaint_id)
             .order_by(Event.id.desc()).first())
    return event.actor.display_name if event else ""


# -- deadlines and what they set off: clocks and their rules, the working-day
# calendar, escalations, notifications and the outbox, parts lines.

class ClockRule(BaseModel):
    """How long a clock runs, per category and severity ("*" matches any)."""
    category = CharField(max_length=30, default="*")
    severity = CharField(max_length=20, default="*")
    kind = CharField(max_length=30)
    amount = IntegerField()
    unit = CharField(max_length=20)  # hours (calendar time) or working_days

    class Meta:
        indexes = ((("kind", "category", "severity"), True),)


class Clock(BaseModel):
    """One deadline of one complaint: started by an event, met by another."""
    complaint = ForeignKeyField(Complaint, backref="clocks", on_delete="CASCADE")
    kind = CharField(max_length=30)
    started_at = DateTimeField()
    original_due_at = DateTimeField()
    due_at = DateTimeField()  # the deadline in force (moved by an extension or a pause)
    met_at = DateTimeField(null=True)
    met_late = BooleanField(null=True)  # judged against the deadline in force when met
    stopped_at = DateTimeField(null=True)  # complaint closed before the clock was met
    paused_since = DateTimeField(null=True)
    paused_seconds = IntegerField(default=0)
    # When the sweep has to look at this clock next, and for which ladder level.
    next_step_at = DateTimeField(null=True)
    next_level = CharField(max_length=20, default="")

    class Meta:
        indexes = ((("complaint", "kind"), False),)

    @property
    def is_open(self):
        return self.met_at is None and self.stopped_at is None


# The sweep's work list and the overdue list read only open clocks, by time.
Clock.add_index(Clock.index(Clock.next_step_at, name="clock_sweep_queue")
                .where(Clock.met_at.is_null() & Clock.stopped_at.is_null() & Clock.next_step_at.is_null(False)))
# With the pause and the complaint in the index, the overdue wall's "due today" and "due tomorrow"
# counts read the running clocks without visiting a clock row (it replaced clock_open_due, on due_at alone).
Clock.add_index(Clock.index(Clock.due_at, Clock.paused_since, Clock.complaint, name="clock_running_due")
                .where(Clock.met_at.is_null() & Clock.stopped_at.is_null()))


class ClockPause(BaseModel):
    clock = ForeignKeyField(Clock, backref="pauses", on_delete="CASCADE")
    reason = CharField(max_length=40)
    started_at = DateTimeField()
    ended_at = DateTimeField(null=True)


class WaitReason(BaseModel):
    """Something a complaint can be waiting for; the administrator decides
    whether waiting for it pauses the completion clock."""
    code = CharField(max_length=40, unique=True)
    name = CharField(max_length=60)
    pauses_completion = BooleanField(default=False)


class CalendarDay(BaseModel):
    """A day that is not as the showroom's week has it: a public holiday (closed, or
    staffed when the administrator says so) or a make-up working day (调休)."""
    day = DateField(primary_key=True)
    kind = CharField(max_length=12)  # holiday, open_holiday or workday
    name = CharField(max_length=60, default="")  # a holiday's code for days from the package, else as typed
    source = CharField(max_length=10, default="admin")  # package (China's official calendar) or admin


class Setting(BaseModel):
    key = CharField(max_length=60, primary_key=True)
    value = TextField()

    @classmethod
    def read(cls, key, default=None):
        row = _setting_value.first(key=key)
        return json.loads(row[0]) if row else default

    @classmethod
    def write(cls, key, value):
        cls.insert(key=key, value=json.dumps(value)).on_conflict(
            conflict_target=[cls.key], update={cls.value: json.dumps(value)}).execute()


_setting_value = kept(lambda: Setting.select(Setting.value).where(Setting.key == Bound("key")).limit(1).tuples())
calendar_day_kinds = kept(lambda: CalendarDay.select(CalendarDay.day, CalendarDay.kind).tuples())


class Escalation(BaseModel):
    """One ladder step taken for one deadline of a clock. The unique key makes it once
    per deadline day: a deadline that moves to another day (extended, paused,
    reclassified) is reminded and escalated again; what was sent before stays."""
    # No index of its own: the unique (clock, level, due_day) key starts with it, and each index is
    # one more tree to write for each of a sweep's thousands of steps.
    clock = ForeignKeyField(Clock, backref="escalations", on_delete="CASCADE", index=False)
    level = CharField(max_length=20)
    at = DateTimeField()
    skipped = BooleanField(default=False)  # superseded by a later step before it was due to go out
    due_at = DateTimeField(null=True)  # the deadline in force when the step was taken
    due_day = DateField(null=True)  # its day in the dealership's time zone

    class Meta:
        indexes = ((("clock", "level", "due_day"), True),)


class Action(BaseModel):
    """An improvement action (持续改进, policy §4.4.2): a corrective step with an owner and a
    due date, made from a complaint's root cause or from the monthly review, then checked for
    its effect. Open actions go through the deadlines' ladder (improvements.py)."""
    complaint = ForeignKeyField(Complaint, null=True, backref="actions", on_delete="RESTRICT")
    period = CharField(max_length=7, default="")  # the review month it came from, "2026-10"
    department = ForeignKeyField(Department, null=True)  # whose managers follow it
    description = TextField()
    root_cause = TextField(default="")
    owner = ForeignKeyField(User, backref="actions")
    due_on = DateField()
    due_at = DateTimeField()  # the end of the due day's working hours
    status = CharField(max_length=12, default="open")  # open, done, effective, ineffective
    created_by = ForeignKeyField(User)
    created_at = DateTimeField(index=True)
    done_at = DateTimeField(null=True, index=True)
    done_note = TextField(default="")
    verified_at = DateTimeField(null=True, index=True)
    verified_by = ForeignKeyField(User, null=True)
    verification = TextField(default="")  # what was checked to judge the effect
    next_step_at = DateTimeField(null=True)  # the ladder's next step while open
    next_level = CharField(max_length=20, default="")
    version = IntegerField(default=1)

    class Meta:
        indexes = ((("status", "due_at"), False), (("owner", "status"), False), (("department", "status"), False))


Action.add_index(Action.index(Action.next_step_at, name="action_next_step").where(Action.next_step_at.is_null(False)))


class ActionStep(BaseModel):
    """A ladder step taken for an action, once per level and due day (like Escalation)."""
    action = ForeignKeyField(Action, backref="steps", on_delete="CASCADE")
    level = CharField(max_length=20)
    at = DateTimeField()
    skipped = BooleanField(default=False)
    due_day = DateField()

    class Meta:
        indexes = ((("action", "level", "due_day"), True),)


class CompensationItem(BaseModel):
    """One thing given to the customer (DOMAIN.md §8). A return, an exchange, or anything above the
    amount the administrator set waits for approval, and nothing is told to the customer before it
    is approved (compensation.py)."""
    complaint = ForeignKeyField(Complaint, backref="compensation_items", on_delete="CASCADE")
    kind = CharField(max_length=30)
    description = CharField(max_length=200, default="")
    amount = DecimalField(max_digits=12, decimal_places=2, null=True)  # what it costs the dealership, yuan
    status = CharField(max_length=12)  # awaiting (approval), approved, refused
    created_by = ForeignKeyField(User)
    created_at = DateTimeField()
    decided_by = ForeignKeyField(User, null=True)
    decided_at = DateTimeField(null=True)
    decision_reason = TextField(default="")
    told_by = ForeignKeyField(User, null=True)
    told_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("complaint", "status"), False), (("status", "created_at"), False))


class Penalty(BaseModel):
    """The general manager's decision on a complaint flagged for a penalty (accountability.py):
    confirmed with the person and an amount within the policy's band, or waived with a reason."""
    complaint = ForeignKeyField(Complaint, backref="penalties", on_delete="CASCADE")
    reason = CharField(max_length=30)  # catalog.PENALTY_REASONS
    person = ForeignKeyField(User, null=True, backref="penalties")
    decision = CharField(max_length=12)  # confirmed, waived
    amount = DecimalField(max_digits=8, decimal_places=2, null=True)
    note = TextField(default="")
    decided_by = ForeignKeyField(User)
    decided_at = DateTimeField()

    class Meta:
        indexes = ((("complaint", "reason"), True),)


class CaseStudy(BaseModel):
    """A closed complaint kept in the case library (案例库, seed 003 §2.8) with the lesson learned.

    Its text is written for any member of staff to learn from, so it carries no personal data:
    cases.scrub takes the customer's name, phone, VIN and plate out of it whenever it is saved."""
    complaint = ForeignKeyField(Complaint, unique=True, backref="case_studies", on_delete="RESTRICT")
    category = CharField(max_length=30)  # the complaint's, kept here so "same category" is one index read
    title = CharField(max_length=120)
    story = TextField()  # what happened and how it was handled, without personal data
    lesson = TextField()  # the lesson learned
    tags = CharField(max_length=200, default="")  # comma-separated
    created_by = ForeignKeyField(User)
    created_at = DateTimeField()
    updated_by = ForeignKeyField(User)
    updated_at = DateTimeField(index=True)
    version = IntegerField(default=1)

    class Meta:
        indexes = ((("category", "updated_at"), False),)

    @property
    def tag_list(self):
        return [t for t in self.tags.split(",") if t]


class Notification(BaseModel):
    """Under the bell: about a complaint, or about a call to make (then `call`, no complaint)."""
    # No index of its own: both indexes below start with it (see Escalation.clock).
    user = ForeignKeyField(User, backref="notifications", on_delete="CASCADE", index=False)
    complaint = ForeignKeyField(Complaint, null=True, on_delete="CASCADE")
    clock = ForeignKeyField(Clock, null=True, on_delete="SET NULL")
    # Indexed where set only (below): most notifications are about a complaint.
    call = DeferredForeignKey("Call", null=True, on_delete="CASCADE", index=False)
    action = ForeignKeyField(Action, null=True, on_delete="CASCADE", index=False)
    kind = CharField(max_length=20)  # reminder, due_today, overdue, unhappy
    created_at = DateTimeField()
    read_at = DateTimeField(null=True)
    urgent = BooleanField(default=False)

    class Meta:
        # The bell's unread count; the notifications page, newest first, a page at a time.
        indexes = ((("user", "read_at", "created_at"), False), (("user", "created_at", "id"), False))


class Outbox(BaseModel):
    """A message to send by e-mail or webhook; kept until sent, retried with back-off."""
    channel = CharField(max_length=10)  # email or webhook
    target = CharField(max_length=500)
    subject = CharField(max_length=200, default="")
    body = TextField()
    webhook_format = CharField(max_length=20, default="")
    allow_lan = BooleanField(default=False)  # copied from the department's robot setting
    created_at = DateTimeField()
    send_after = DateTimeField()
    attempts = IntegerField(default=0)
    sent_at = DateTimeField(null=True)
    last_error = TextField(default="")


Outbox.add_index(Outbox.index(Outbox.send_after, name="outbox_pending").where(Outbox.sent_at.is_null()))


class PartsLine(BaseModel):
    """One part asked of the regional parts centre (up to six per complaint)."""
    complaint = ForeignKeyField(Complaint, backref="parts_lines", on_delete="CASCADE")
    part_name = CharField(max_length=80)
    part_number = CharField(max_length=40, default="")
    quantity = IntegerField(default=1)
    requested_at = DateTimeField()
    received_at = DateTimeField(null=True)


class Attachment(BaseModel):
    """A photo or document on a complaint (attachments.py). The file is under
    instance/attachments as `stored_name`, a name the server chose."""
    complaint = ForeignKeyField(Complaint, backref="attachments", on_delete="RESTRICT")
    stored_name = CharField(max_length=80, unique=True)  # e.g. 2026/11/3f9a….jpg
    original_name = CharField(max_length=200)  # as the user named it, cleaned; for display and download
    content_type = CharField(max_length=100)  # decided from the content
    size = IntegerField()
    sha256 = CharField(max_length=64)
    has_images = BooleanField(default=False)  # a thumbnail and a preview were made
    uploaded_by = ForeignKeyField(User, backref="uploads")
    uploaded_at = DateTimeField()
    removed_at = DateTimeField(null=True)  # taken off the complaint; the file is kept for the record
    removed_by = ForeignKeyField(User, null=True, backref="removed_uploads")

    class Meta:
        indexes = ((("complaint", "uploaded_at"), False),)

    @classmethod
    def on(cls, complaint):
        """The complaint's photos and documents still on it, oldest first, with who added them."""
        return list(_attachments_on(complaint=complaint))


_attachments_on = kept(lambda: Attachment.select(Attachment, User).join(User, on=(Attachment.uploaded_by == User.id))
                       .where((Attachment.complaint == Bound("complaint")) & Attachment.removed_at.is_null())
                       .order_by(Attachment.uploaded_at, Attachment.id))


class AuditEntry(BaseModel):
    """Who did what, when, from where (audit.py): logins, permission denials, changes to
    users and settings (before -> after), exports, every opening of a complaint.
    Append-only (a trigger refuses updates, and deletes younger than a year)."""
    at = DateTimeField()
    actor = ForeignKeyField(User, null=True, backref="audit_entries")
    actor_name = CharField(max_length=40, default="")  # the user name, also as typed at a failed login
    ip = CharField(max_length=45, default="")
    action = CharField(max_length=30)
    target = CharField(max_length=120, default="")  # a complaint number, a user name, a path…
    detail = TextField(default="")  # JSON: {"before": …, "after": …} or other facts

    class Meta:
        indexes = (
            (("action", "actor_name", "at"), False),  # failed logins per user name
            (("action", "ip", "at"), False),  # failed logins per address
            (("actor", "id"), False),
            (("target", "id"), False),
            (("at",), False),
        )


# -- proactive callbacks (主动回访, policy §4.1.1): deliveries and service visits in, calls out.

class ImportJob(BaseModel):
    """One file from the dealer management system, from upload through preview to saving."""
    kind = CharField(max_length=20)  # deliveries or service_visits
    file_path = CharField(max_length=300)
    original_name = CharField(max_length=200)
    status = CharField(max_length=20, default="uploaded")  # uploaded, mapping, checking, checked, saving, done, failed
    mapping = TextField(default="")  # JSON: field -> column header
    total = IntegerField(default=0)
    done = IntegerField(default=0)  # rows read or saved so far: the progress bar
    summary = TextField(default="")  # JSON: the preview's counts and row errors; then what was saved
    error = TextField(default="")
    created_at = DateTimeField()
    created_by = ForeignKeyField(User, backref="imports")


class Delivery(BaseModel):
    """A new car handed over, typed in or imported from the dealer management system."""
    customer_name = CharField(max_length=60)
    customer_phone = CharField(max_length=20, index=True)
    vehicle_model = CharField(max_length=60, default="")
    vin = CharField(max_length=17)
    plate = CharField(max_length=12, default="")
    delivered_on = DateField()
    consultant = ForeignKeyField(User, null=True, backref="deliveries")  # when the DMS name matches a user
    consultant_name = CharField(max_length=60, default="")  # as the DMS gives it
    created_at = DateTimeField()
    created_by = ForeignKeyField(User, null=True, backref="deliveries_entered")
    import_job = ForeignKeyField(ImportJob, null=True, backref="deliveries")

    class Meta:
        indexes = ((("vin", "delivered_on"), True),)  # importing the same file twice creates nothing


class ServiceVisit(BaseModel):
    """A car handed back after service or repair, typed in or imported."""
    repair_order = CharField(max_length=40, unique=True)
    customer_name = CharField(max_length=60)
    customer_phone = CharField(max_length=20, index=True)
    vehicle_model = CharField(max_length=60, default="")
    vin = CharField(max_length=17, default="")
    plate = CharField(max_length=12, default="")
    handed_back_on = DateField()
    advisor = ForeignKeyField(User, null=True, backref="service_visits")
    advisor_name = CharField(max_length=60, default="")
    work_done = TextField(default="")
    created_at = DateTimeField()
    created_by = ForeignKeyField(User, null=True, backref="visits_entered")
    import_job = ForeignKeyField(ImportJob, null=True, backref="service_visits")


class DoNotCall(BaseModel):
    """A customer who asked not to be called again."""
    phone = CharField(max_length=20, primary_key=True)
    since = DateTimeField()
    noted_by = ForeignKeyField(User, null=True)


class Call(BaseModel):
    """One satisfaction call to make (callbacks/): after a delivery, a service visit, or a
    resolved complaint (the closing callback). Its outcome is kept in columns, for the figures."""
    kind = CharField(max_length=20)  # sales_3d, delivery_7d, delivery_25d, service_3d, closing
    delivery = ForeignKeyField(Delivery, null=True, backref="calls", on_delete="CASCADE")
    service_visit = ForeignKeyField(ServiceVisit, null=True, backref="calls", on_delete="CASCADE")
    complaint = ForeignKeyField(Complaint, null=True, backref="closing_calls", on_delete="CASCADE")
    # Who calls: one person (a consultant's or advisor's own call), or whoever holds the role.
    owner_role = CharField(max_length=20)  # callback_clerk, care_manager, front_line
    owner = ForeignKeyField(User, null=True, backref="calls")
    # What the queue shows without a join, for a million rows.
    customer_name = CharField(max_length=60)
    customer_phone = CharField(max_length=20, index=True)
    vehicle = CharField(max_length=80, default="")
    opens_at = DateTimeField()  # from when it may be made
    due_at = DateTimeField()
    status = CharField(max_length=20, default="open")  # open, satisfied, unhappy, complaint, unreachable,
    #                                                    wrong_number, do_not_call, cancelled
    attempts = IntegerField(default=0)
    next_try_at = DateTimeField(null=True)  # after no answer
    score = IntegerField(null=True)  # 1-5 when satisfied
    comment = TextField(default="")
    called_at = DateTimeField(null=True, index=True)  # when the outcome was recorded
    called_by = ForeignKeyField(User, null=True, backref="calls_made")
    complaint_found = ForeignKeyField(Complaint, null=True, backref="found_by_calls")
    next_step_at = DateTimeField(null=True)  # the ladder, as for clocks
    next_level = CharField(max_length=20, default="")

    class Meta:
        indexes = ((("owner", "status", "due_at"), False),)

    @property
    def is_open(self):
        return self.status == "open"

    @property
    def started_at(self):  # for the ladder's step times
        return self.opens_at


# The open queue, most urgent first, read straight off an index however many calls are done;
# it carries every column the queue filters and counts on (status too: SQLite reads the table
# for a column the index only implies), so a count never reads the table.
# The made calls by kind, for the figures: partial, so the open queue is never tempted by it.
# And the sweep's work list of calls.
Call.add_index(Call.index(Call.due_at, Call.id, Call.owner, Call.owner_role, Call.kind, Call.opens_at,
                          Call.next_try_at, Call.status, name="call_open_queue").where(Call.status == "open"))
Call.add_index(Call.index(Call.kind, Call.called_at, name="call_made_by_kind").where(Call.called_at.is_null(False)))
Call.add_index(Call.index(Call.next_step_at, name="call_sweep_queue")
               .where((Call.status == "open") & Call.next_step_at.is_null(False)))
# The call a complaint was found on (its page shows it). Nearly every call found none, so SQLite's
# statistics make the foreign-key index look useless and it read all 1,000,000 calls (147 ms a page).
Call.add_index(Call.index(Call.complaint_found, name="call_found_complaint").where(Call.complaint_found.is_null(False)))

# Deleting a call or an action deletes its notifications: these find them. Partial, because a
# plain index holds a row for every notification about a complaint too (a sweep wrote two such
# rows for each of its thousands of notifications, about 5 % of its time).
Notification.add_index(Notification.index(Notification.call, name="notification_about_call")
                       .where(Notification.call.is_null(False)))
Notification.add_index(Notification.index(Notification.action, name="notification_about_action")
                       .where(Notification.action.is_null(False)))


class CallStep(BaseModel):
    """One ladder step taken for a call, once per call, level and deadline day."""
    call = ForeignKeyField(Call, backref="steps", on_delete="CASCADE")
    level = CharField(max_length=20)
    at = DateTimeField()
    skipped = BooleanField(default=False)
    due_day = DateField()

    class Meta:
        indexes = ((("call", "level", "due_day"), True),)


class TaskRun(BaseModel):
    """A periodic task's lease and heartbeat (background.py): who runs it now and
    until when, and when it last finished. Screens read it to say when reminders stopped."""
    name = CharField(max_length=40, primary_key=True)
    holder = CharField(max_length=200, default="")  # host:pid:process token:thread while it runs
    lease_until = DateTimeField(null=True)
    started_at = DateTimeField(null=True)
    last_ok_at = DateTimeField(null=True)
    last_error = TextField(default="")
    last_error_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)


MODELS = [Department, User, UserRole, NumberCounter, Complaint, Event, ClockRule, Clock, ClockPause,
          WaitReason, CalendarDay, Setting, Escalation, Notification, Outbox, PartsLine, TaskRun,
          LoginSession, AuditEntry, Attachment, ImportJob, Delivery, ServiceVisit, DoNotCall, Call, CallStep,
          Action, ActionStep, CaseStudy, CompensationItem, Penalty]

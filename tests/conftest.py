"""Fixtures: the app on a temporary SQLite file (or, with TEST_DATABASE_URL set, on an
emptied PostgreSQL database), staff of every role, a logged-in client."""
import logging
import os

import pytest
from helpers import NOW, PASSWORD, SERVER_DATABASE, STAFF, QueryCounter, complaint_fields, csrf_token, logged_in, login

import accounts
import process
import running
import workflow
from app import create_app
from deadlines import rules
from models import Department, db


@pytest.fixture(autouse=True, scope="session")
def huey_in_memory():
    """Tasks run in-process, never the instance folder: in memory, or in Redis when
    HUEY_URL names it (locks included)."""
    import tasks
    if os.environ.get("HUEY_URL", "").startswith("redis://"):
        tasks.huey.immediate_use_memory = False
        tasks.huey.storage.flush_all()
    tasks.huey.immediate = True
    yield


def database_url(tmp_path):
    return SERVER_DATABASE or f"sqlite:///{tmp_path}/test.db"


def empty_the_database():
    """Every table emptied and its numbering restarted, so the next test starts as on a new file.
    DELETE with triggers and foreign-key checks off (the test role is the server's superuser)
    takes 13 ms where TRUNCATE of the 45 tables takes 90, a minute over the whole run."""
    sequences = [name for name, in db.execute_sql(
        "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = current_schema()")]
    db.execute_sql("SET session_replication_role = replica; "
                   + " ".join(f'DELETE FROM "{table}";' for table in db.get_tables())
                   + " ".join(f'ALTER SEQUENCE "{name}" RESTART;' for name in sequences)
                   + " SET session_replication_role = DEFAULT;")


@pytest.fixture
def app(tmp_path, monkeypatch):
    import tasks
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    app = create_app({
        "TESTING": True,
        "OFFICIAL_CALENDAR": False,  # each test says which days are off; test_calendar.py loads the real ones
        "DATABASE_URL": database_url(tmp_path),
        "SECRET_KEY": "test-secret",
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1,
    })
    monkeypatch.setattr(tasks, "_app", app)  # background tasks (run at once in tests) use this app
    # No app context is held open here: requests must each get their own `g`
    # (Flask-WTF caches the CSRF token there).
    db.connect(reuse_if_open=True)
    accounts.ensure_departments()
    rules.ensure_defaults()
    # Most tests were written for a showroom without the care manager's triage (a setting; on
    # for a new install): complaints go straight to their department. test_triage.py turns it on.
    process.save({"triage": False})
    yield app
    if SERVER_DATABASE:
        db.connect(reuse_if_open=True)
        empty_the_database()
    if not db.is_closed():
        db.close()
    running.release(app.instance_path)  # one open lock file per test would add up


@pytest.fixture
def staff(app):
    users = {}
    for username, (roles, dept) in STAFF.items():
        department = Department.get(Department.code == dept) if dept else None
        users[username] = accounts.create_user(username, username.replace("_", " ").title(),
                                               roles, PASSWORD, department=department)
    return users


@pytest.fixture
def staff_password():
    return PASSWORD


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def as_user(client, staff):
    """Log the client in as one of the staff: as_user("front")."""
    def _as(username):
        client.post("/logout", data={"csrf_token": csrf_token(client)}) if logged_in(client) else None
        response = login(client, username)
        assert response.status_code == 303, response.get_data(as_text=True)
        return client
    return _as


@pytest.fixture
def make_complaint(staff):
    """Register a complaint through the workflow, as `by` (default: front)."""
    def _make(by="front", now=NOW, **overrides):
        return workflow.register(complaint_fields(**overrides), staff[by], now)
    return _make


@pytest.fixture
def count_queries():
    """Count the SQL statements peewee runs inside a `with count_queries() as q:` block."""
    logger = logging.getLogger("peewee")

    class _Counting:
        def __enter__(self):
            self.handler = QueryCounter()
            self.level = logger.level
            logger.setLevel(logging.DEBUG)
            logger.addHandler(self.handler)
            return self.handler

        def __exit__(self, *exc):
            logger.removeHandler(self.handler)
            logger.setLevel(self.level)
    return _Counting

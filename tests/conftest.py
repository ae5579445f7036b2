"""The app on a temporary SQLite file, staff of every role, and helpers."""
import logging
import os
import re
import sys
from datetime import datetime

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import accounts  # noqa: E402
import workflow  # noqa: E402
from app import create_app  # noqa: E402
from models import Department, db  # noqa: E402

PASSWORD = "correct horse battery"
NOW = datetime(2026, 11, 20, 2, 0)  # 10:00 in Shanghai, a Friday

STAFF = {
    # user name: (roles, department code)
    "admin": (["admin"], None),
    "care": (["care_manager"], None),
    "gm": (["general_manager"], None),
    "clerk": (["callback_clerk"], None),
    "sales_mgr": (["department_manager"], "sales"),
    "service_mgr": (["department_manager"], "after_sales"),
    "advisor": (["front_line"], "after_sales"),
    "front": (["front_line"], "sales"),
    "front2": (["front_line"], "sales"),
}


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    app = create_app({
        "TESTING": True,
        "DATABASE_URL": f"sqlite:///{tmp_path}/test.db",
        "SECRET_KEY": "test-secret",
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1,
    })
    # No app context is held open here: requests must each get their own `g`
    # (Flask-WTF caches the CSRF token there).
    db.connect(reuse_if_open=True)
    accounts.ensure_departments()
    yield app
    if not db.is_closed():
        db.close()


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


def csrf_token(client):
    page = client.get("/login" if not _logged_in(client) else "/account").get_data(as_text=True)
    return re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)


def _logged_in(client):
    return client.get("/account").status_code == 200


def login(client, username, password=PASSWORD):
    token = csrf_token(client)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


@pytest.fixture
def as_user(client, staff):
    """Log the client in as one of the staff: as_user("front")."""
    def _as(username):
        client.post("/logout", data={"csrf_token": csrf_token(client)}) if _logged_in(client) else None
        response = login(client, username)
        assert response.status_code == 303, response.get_data(as_text=True)
        return client
    return _as


def post(client, url, data, htmx=False, **headers):
    """POST with the session's CSRF token, as a plain form or as htmx would."""
    data = dict(data)
    data.setdefault("csrf_token", csrf_token(client))
    if htmx:
        headers["HX-Request"] = "true"
    return client.post(url, data=data, headers=headers)


def complaint_fields(**overrides):
    fields = {
        "received_at": None, "channel": "phone", "external_ref": "", "business_line": "after_sales",
        "customer_name": "张伟", "customer_phone": "13812345678", "customer_type": "",
        "vehicle_model": "朗逸", "vin": "LSVAB2180E2123456", "plate": "沪A12345",
        "delivery_date": None, "category": "repair_quality", "demand": "free_repair",
        "severity": "general", "major_facts": [], "description": "刹车异响,第二次返修。",
        "person_involved": None,
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def make_complaint(staff):
    """Register a complaint through the workflow, as `by` (default: front)."""
    def _make(by="front", now=NOW, **overrides):
        return workflow.register(complaint_fields(**overrides), staff[by], now)
    return _make


class QueryCounter(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.queries = []

    def emit(self, record):
        self.queries.append(record.getMessage())


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

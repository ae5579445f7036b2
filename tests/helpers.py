"""Constants and helpers the tests share (fixtures live in conftest.py)."""
import logging
import os
import re
import sys
from datetime import datetime

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

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


def csrf_token(client):
    page = client.get("/login" if not logged_in(client) else "/account").get_data(as_text=True)
    return re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)


def logged_in(client):
    return client.get("/account").status_code == 200


def login(client, username, password=PASSWORD):
    token = csrf_token(client)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def post(client, url, data, htmx=False, **headers):
    """POST with the session's CSRF token, as a plain form or as htmx would."""
    data = dict(data)
    data.setdefault("csrf_token", csrf_token(client))
    if htmx:
        headers["HX-Request"] = "true"
    return client.post(url, data=data, headers=headers)


def action_url(c, action):
    return f"/complaints/{c.number}/act/{action}"


def action_payload(action, c, **fields):
    """An action's form fields, prefixed as the page names them, with the complaint's current version."""
    from models import Complaint
    data = {f"{action}-{k}": v for k, v in fields.items()}
    data[f"{action}-version"] = str(Complaint.get_by_id(c.id).version)
    return data


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
    if "business_line" not in overrides:  # the line the category belongs to, as the form requires
        import catalog
        fields["business_line"] = catalog.line_of_category(fields["category"]) or fields["business_line"]
    return fields


class QueryCounter(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.queries = []
        self.statements = []  # (sql, params), to ask the database for a plan

    def emit(self, record):
        self.queries.append(record.getMessage())
        if isinstance(record.msg, tuple):
            self.statements.append(record.msg)


SHANGHAI = datetime(2000, 1, 1, 8) - datetime(2000, 1, 1)


def sh(y, m, d, hh=0, mm=0):
    """A Shanghai wall-clock time as naive UTC, as the app stores times."""
    return datetime(y, m, d, hh, mm) - SHANGHAI


def weekdays_only():
    """A showroom open Monday to Friday, 08:30-17:30 with lunch 12:00-13:30."""
    from deadlines.calendar_days import WEEKDAYS_ONLY
    from models import Setting
    Setting.write("week", WEEKDAYS_ONLY)


def national_day_calendar():
    """A Monday-to-Friday showroom off 1-8 October 2026, with make-up working days on
    Sunday 27 Sept and Saturday 10 Oct."""
    from datetime import date

    from models import CalendarDay
    weekdays_only()
    for d in range(1, 9):
        CalendarDay.create(day=date(2026, 10, d), kind="holiday", name="国庆节")
    for day in (date(2026, 9, 27), date(2026, 10, 10)):
        CalendarDay.create(day=day, kind="workday", name="国庆调休")


# The second CI run: every test on PostgreSQL, with huey's storage in Redis (tests/servers.sh).
SERVER_DATABASE = os.environ.get("TEST_DATABASE_URL", "")
# A test of SQLite's own machinery (its file, pragmas, backups of the file, its full-text index).
sqlite_only = pytest.mark.skipif(bool(SERVER_DATABASE), reason="SQLite's own file and features")


def query_plan(sql, params=()):
    """The database's plan for a statement, as one string. PostgreSQL is told to avoid reading
    whole tables: a test's tables are so small that it would read them whole anyway."""
    from peewee import SqliteDatabase

    from models import db
    if isinstance(db.obj, SqliteDatabase):
        return " ; ".join(row[-1] for row in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall())
    with db.atomic():
        db.execute_sql("SET LOCAL enable_seqscan = off")
        plan = " ; ".join(row[0] for row in db.execute_sql("EXPLAIN " + sql, params).fetchall())
    return plan


def statements_of(counter, table):
    """The (sql, params) of the SELECTs a count_queries() block saw that read `table`."""
    return [s for s in counter.statements if s[0].startswith("SELECT") and f'FROM "{table}"' in s[0]]

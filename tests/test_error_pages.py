"""Every error page is the app's own, in the user's language, with an id that is in the log;
a full disk or a read-only database is said plainly."""
import logging
import re

import pytest
from helpers import complaint_fields, post, sqlite_only

import workflow
from models import Complaint, User, db


@pytest.fixture(autouse=True)
def errors_become_pages(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: no test client re-raise


def intake(**overrides):
    data = {k: v for k, v in complaint_fields().items() if v not in (None, [])}
    data.update(overrides)
    return data


@pytest.fixture
def pragma(app):
    """Add a pragma to every connection the app opens from now on."""
    added = []

    def _add(name, value):
        db.obj._pragmas.append((name, value))
        added.append((name, value))
    yield _add
    for item in added:
        db.obj._pragmas.remove(item)


def error_id(page):
    return re.search(r'data-error-id="([0-9A-F]{8})"', page).group(1)


@sqlite_only  # a full disk made with SQLite's page limit
def test_a_full_disk_is_said_plainly_and_nothing_is_saved(as_user, pragma, caplog):
    client = as_user("front")
    pages = db.execute_sql("PRAGMA page_count").fetchone()[0]
    pragma("max_page_count", pages)  # the database may not grow: SQLite answers "database or disk is full"
    with caplog.at_level(logging.ERROR):
        response = post(client, "/complaints/new", intake(description="长" * 4000))
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "服务器磁盘已满" in page and "没有保存" in page
    assert error_id(page) in caplog.text
    assert Complaint.select().count() == 0


@sqlite_only
def test_a_read_only_database_is_said_plainly(as_user, pragma):
    client = as_user("front")
    pragma("query_only", 1)
    response = post(client, "/complaints/new", intake())
    assert response.status_code == 503
    assert "数据库只读" in response.get_data(as_text=True)


def test_an_unexpected_error_is_the_apps_own_page_with_an_id_in_the_log(as_user, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("something nobody foresaw")
    monkeypatch.setattr(workflow, "register", broken)
    User.update(language="en").where(User.username == "front").execute()
    client = as_user("front")
    with caplog.at_level(logging.ERROR):
        response = post(client, "/complaints/new", intake())
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in page and "Internal Server Error" not in page
    assert error_id(page) in caplog.text and "something nobody foresaw" in caplog.text


def test_an_htmx_request_that_fails_gets_a_message_the_page_can_show(as_user, make_complaint, monkeypatch):
    c = make_complaint()

    def broken(*args, **kwargs):
        raise RuntimeError("boom")
    monkeypatch.setattr(workflow, "perform", broken)
    response = post(as_user("care"), f"/complaints/{c.number}/act/note",
                    {"note-text": "x", "note-version": c.version}, htmx=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 500 and "<html" not in page and "data-error-message" in page


def test_the_error_page_works_when_the_database_cannot_be_read(as_user, monkeypatch):
    """Even the session lookup failing gives the app's page, not a bare 500."""
    client = as_user("front")
    import accounts

    def unreadable(*args, **kwargs):
        raise RuntimeError("database disk image is malformed")
    monkeypatch.setattr(accounts, "session_user", unreadable)
    response = client.get("/inbox")
    assert response.status_code == 500 and 'data-error-id="' in response.get_data(as_text=True)

"""The audit log: what it records, who reads it, and that nobody edits it."""
from datetime import datetime, timedelta

import pytest
from helpers import csrf_token, post
from peewee import IntegrityError

import audit
import tasks
from models import AuditEntry, ClockRule, User, utcnow


def actions():
    return [(e.action, e.actor_name, e.target) for e in AuditEntry.select().order_by(AuditEntry.id)]


def test_opening_and_printing_a_complaint_is_recorded(as_user, make_complaint):
    c = make_complaint()
    client = as_user("care")
    client.get(f"/complaints/{c.number}")
    client.get(f"/complaints/{c.number}", headers={"HX-Request": "true"})
    client.get(f"/complaints/{c.number}/print")
    seen = [a for a in actions() if a[0].startswith("complaint_")]
    assert seen == [("complaint_viewed", "care", c.number), ("complaint_viewed", "care", c.number),
                    ("complaint_printed", "care", c.number)]


def test_permission_denials_are_recorded(as_user, make_complaint):
    c = make_complaint()
    client = as_user("advisor")  # an after-sales front-line user who did not register it
    assert client.get(f"/complaints/{c.number}").status_code == 404
    assert client.get("/admin/users").status_code == 404
    assert client.get("/overdue").status_code == 404
    denied = [t for a, _n, t in actions() if a == "denied"]
    assert denied == [f"GET /complaints/{c.number}", "GET /admin/users", "GET /overdue"]


def test_a_missing_complaint_is_not_a_denial(as_user):
    assert as_user("care").get("/complaints/TS-2026-9999").status_code == 404
    assert not AuditEntry.select().where(AuditEntry.action == "denied").exists()


def test_changes_to_users_are_recorded_before_and_after(as_user, staff):
    client = as_user("admin")
    front = staff["front"]
    post(client, f"/admin/users/{front.id}", {"username": "front", "display_name": "王小明", "roles": ["front_line",
         "callback_clerk"], "department": str(front.department_id), "language": "zh_CN", "active": "y"})
    post(client, f"/admin/users/{front.id}/password", {"password": ""})
    entry = AuditEntry.get(AuditEntry.action == "user_changed")
    assert entry.actor_name == "admin" and entry.target == "front"
    assert '"roles": [["front_line"], ["callback_clerk", "front_line"]]' in entry.detail
    assert '"display_name": ["Front", "王小明"]' in entry.detail
    assert AuditEntry.get(AuditEntry.action == "password_reset").target == "front"


def test_changes_to_rules_calendar_and_escalation_are_recorded(as_user):
    client = as_user("admin")
    rule = ClockRule.get(ClockRule.kind == "solution")
    post(client, f"/admin/rules/{rule.id}", {f"rule{rule.id}-amount": "12", f"rule{rule.id}-unit": "hours"})
    post(client, "/admin/calendar", {"days-lines": "2026-10-01 holiday 国庆节"})
    post(client, "/admin/calendar/day/2026-10-01", {"remove": "1"})
    post(client, "/admin/ladder", {"before": ["handler"], "due_day": ["handler"], "overdue": ["general_manager"],
                                   "unhappy": ["general_manager"]})
    by_action = {e.action: e for e in AuditEntry.select().where(AuditEntry.action.endswith("_changed"))}
    assert '"24 hours"' in by_action["rule_changed"].detail and '"12 hours"' in by_action["rule_changed"].detail
    assert AuditEntry.select().where(AuditEntry.action == "calendar_changed").count() == 2
    assert '"overdue": [["care_manager", "general_manager"], ["general_manager"]]' in \
        by_action["escalation_changed"].detail


def test_only_the_administrator_reads_the_log_and_sees_it_filtered(as_user, make_complaint):
    c = make_complaint()
    as_user("care").get(f"/complaints/{c.number}")
    for username in ("care", "gm", "front"):
        assert as_user(username).get("/admin/audit").status_code == 404
    client = as_user("admin")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "审计日志" in page and "打开投诉" in page and c.number in page
    filtered = client.get(f"/admin/audit?target={c.number}&action=complaint_viewed").get_data(as_text=True)
    assert filtered.count(f">{c.number}</a>") == 1
    nothing = client.get("/admin/audit?action=export").get_data(as_text=True)
    assert c.number not in nothing


def test_a_bad_filter_is_named_not_dropped(as_user):
    page = as_user("admin").get("/admin/audit?since=yesterday&action=evil").get_data(as_text=True)
    assert page.count('class="warning"') == 2


def test_the_log_pages_by_id(as_user, staff):
    admin = User.get(User.username == "admin")
    for i in range(120):
        audit.record("complaint_viewed", actor=admin, target=f"TS-2026-{i:04d}")
    client = as_user("admin")
    first = client.get("/admin/audit?action=complaint_viewed").get_data(as_text=True)
    assert "TS-2026-0119" in first and "TS-2026-0019" not in first
    older = first.split('<a href="/admin/audit?before=')[1].split('"')[0].replace("&amp;", "&")
    second = client.get("/admin/audit?before=" + older).get_data(as_text=True)
    assert "TS-2026-0019" in second and "TS-2026-0119" not in second


def test_nobody_can_edit_or_delete_an_entry_younger_than_a_year(app, staff):
    audit.record("login", actor=staff["front"])
    with pytest.raises(IntegrityError):
        AuditEntry.update(actor_name="someone else").execute()
    with pytest.raises(IntegrityError):
        AuditEntry.delete().execute()


def test_entries_older_than_the_keeping_time_are_pruned_nightly(app, staff, monkeypatch):
    monkeypatch.setattr(tasks, "_app", app)
    old, recent = utcnow() - timedelta(days=420), utcnow() - timedelta(days=300)
    audit.record("login", actor=staff["front"], now=old)
    audit.record("login", actor=staff["front"], now=recent)
    assert tasks.prune_audit_log.call_local() == 1
    assert [e.at for e in AuditEntry.select()] == [recent]
    assert audit.prune(utcnow(), keep_days=30) == 0  # never less than a year


def test_the_audit_page_is_english_for_english_users(as_user, staff):
    User.update(language="en").where(User.username == "admin").execute()
    client = as_user("admin")
    assert "Logged in" in client.get("/admin/audit").get_data(as_text=True)


def test_the_prune_runs_at_night():
    names = {t.name for t in tasks.huey.read_periodic(datetime(2026, 11, 20, 19, 10))}
    assert "prune_audit_log" in names


def test_logout_form_still_works_with_csrf(client, staff):
    from helpers import login
    login(client, "front")
    assert client.post("/logout", data={"csrf_token": csrf_token(client)}).status_code == 303

"""Policy §4.1.2: the care manager verifies a new complaint and dispatches it to the department
with its deadline; the department manager acknowledges receipt. Plus §4.2.1.5 (the closing
callback is the care manager's), repeats remembered, and the form agreeing with the department."""
from datetime import timedelta

import pytest
from helpers import NOW, complaint_fields, post, sh, weekdays_only

import process
import workflow
from deadlines import ladder
from models import Clock, Complaint, Department, Event, Notification, User


@pytest.fixture(autouse=True)
def triage_on(app):
    process.save({"triage": True})  # as a new install has it
    weekdays_only()


def test_triage_is_on_for_a_new_install():
    assert process.DEFAULTS["triage"] is True


def register(staff, by="advisor", at=NOW, **fields):
    fields.setdefault("category", "repair_quality")
    return workflow.register(complaint_fields(**fields), staff[by], at)


def dispatch_form(c, **changes):
    data = {"dispatch-verified_facts": "已核实：保养后刹车异响属实。", "dispatch-department": str(
        Department.get(Department.code == "after_sales").id), "dispatch-handler": "",
        "dispatch-due_at": "2026-11-25T17:30", "dispatch-version": c.version}
    data.update(changes)
    return data


def test_a_new_complaint_waits_for_the_care_manager(app, staff, as_user):
    c = register(staff)
    assert c.awaiting_dispatch and c.department is None
    assert as_user("service_mgr").get(f"/complaints/{c.number}").status_code == 404  # not the department's yet
    inbox = as_user("care").get("/inbox").get_data(as_text=True)
    assert "1 条投诉等待您核实并下发" in inbox
    triage = as_user("care").get("/inbox?status=to_dispatch").get_data(as_text=True)
    assert c.number in triage and "待核实下发" in triage


def test_reminders_during_triage_go_to_the_care_manager(app, staff):
    register(staff, at=sh(2026, 11, 20, 9, 0), category="product_quality")
    with app.app_context():
        report = workflow.sweep(sh(2026, 11, 20, 9, 1))
    assert ("first_contact", "due_day", ["care"]) in [(k, level, u) for _n, k, level, u in report["notified"]]


def test_dispatch_sets_the_department_and_the_deadline_and_asks_for_acknowledgement(app, staff, as_user,
                                                                                    monkeypatch):
    import forms
    monkeypatch.setattr(forms, "local_now", lambda: sh(2026, 11, 20, 10, 0) + timedelta(hours=8))
    c = register(staff)
    client = as_user("care")
    page = client.get(f"/complaints/{c.number}").get_data(as_text=True)
    assert 'id="action-dispatch"' in page and 'id="action-assign"' not in page
    response = post(client, f"/complaints/{c.number}/act/dispatch", dispatch_form(c))
    assert response.status_code == 303, response.get_data(as_text=True)[-2000:]
    c = Complaint.get_by_id(c.id)
    assert c.department.code == "after_sales" and not c.awaiting_dispatch
    assert c.dispatched_by.username == "care" and c.verified_facts.startswith("已核实")
    completion = Clock.get((Clock.complaint == c) & (Clock.kind == "completion"))
    assert completion.due_at == completion.original_due_at == sh(2026, 11, 25, 17, 30)  # set, not extended
    assert Clock.get((Clock.complaint == c) & (Clock.kind == "acknowledgement")).is_open
    assert [n.user.username for n in Notification.select().where(Notification.kind == "dispatched")] == ["service_mgr"]

    manager = as_user("service_mgr")
    page = manager.get(f"/complaints/{c.number}").get_data(as_text=True)
    assert "签收" in page and 'id="action-acknowledge"' in page
    response = post(manager, f"/complaints/{c.number}/act/acknowledge", {"acknowledge-version": c.version})
    assert response.status_code == 303
    c = Complaint.get_by_id(c.id)
    assert c.acknowledged_by.username == "service_mgr"
    assert Clock.get((Clock.complaint == c) & (Clock.kind == "acknowledgement")).met_at is not None
    printed = manager.get(f"/complaints/{c.number}/print").get_data(as_text=True)
    assert "已核实并下发" in printed and "部门已签收" in printed and "Care" in printed and "Service Mgr" in printed
    assert [e.kind for e in Event.select().order_by(Event.id)] == ["registered", "dispatch", "acknowledge"]


def test_an_unacknowledged_dispatch_is_reminded_and_escalated(app, staff):
    c = register(staff, at=sh(2026, 11, 20, 9, 0))
    workflow.perform("dispatch", c.id, c.version, staff["care"], sh(2026, 11, 20, 9, 30),
                     verified_facts="属实", department=Department.get(Department.code == "after_sales"),
                     handler=staff["advisor"], due_at=sh(2026, 11, 25, 17, 30))
    with app.app_context():
        early = workflow.sweep(sh(2026, 11, 20, 9, 31))
        late = workflow.sweep(sh(2026, 11, 20, 15, 1))  # 2 working hours from 09:30 (lunch between): 13:00
    assert ("acknowledgement", "due_day", ["service_mgr"]) in [(k, lv, u) for _n, k, lv, u in early["notified"]]
    assert ("acknowledgement", "overdue", ["care", "gm"]) in [(k, lv, u) for _n, k, lv, u in late["notified"]]


def test_only_the_care_manager_or_gm_dispatches_and_only_the_manager_acknowledges(staff, as_user):
    c = register(staff)
    for name in ("service_mgr", "advisor", "clerk"):
        response = post(as_user(name), f"/complaints/{c.number}/act/dispatch", dispatch_form(c))
        assert response.status_code in (403, 404), name
    workflow.perform("dispatch", c.id, c.version, staff["care"], NOW, verified_facts="属实",
                     department=Department.get(Department.code == "after_sales"), handler=staff["advisor"],
                     due_at=NOW + timedelta(days=3))
    c = Complaint.get_by_id(c.id)
    assert post(as_user("advisor"), f"/complaints/{c.number}/act/acknowledge",
                {"acknowledge-version": c.version}).status_code == 403


def test_a_dispatch_form_with_no_department_or_a_past_deadline_is_refused(staff, as_user):
    c = register(staff)
    client = as_user("care")
    for bad in ({"dispatch-department": ""}, {"dispatch-due_at": "2020-01-01T10:00"},
                {"dispatch-verified_facts": ""}):
        response = post(client, f"/complaints/{c.number}/act/dispatch", dispatch_form(c, **bad))
        assert response.status_code == 422, bad
    assert Complaint.get_by_id(c.id).awaiting_dispatch


def test_without_triage_complaints_go_straight_to_their_department(staff):
    process.save({"triage": False})
    c = register(staff)
    assert not c.awaiting_dispatch and c.department.code == "after_sales"


def test_the_closing_callback_is_the_care_managers_due_the_same_day(app, staff):
    process.save({"triage": False})
    c = register(staff, at=sh(2026, 11, 20, 9, 0))
    workflow.perform("unfounded", c.id, c.version, staff["service_mgr"], sh(2026, 11, 20, 10, 0), explanation="正常")
    callback = Clock.get((Clock.complaint == c) & (Clock.kind == "callback"))
    assert callback.due_at == sh(2026, 11, 20, 17, 30)  # the end of the day it was resolved
    with app.app_context():
        report = workflow.sweep(sh(2026, 11, 20, 10, 1))
    assert ("callback", "due_day", ["care"]) in [(k, lv, u) for _n, k, lv, u in report["notified"]]
    process.save({"callback_owner": "callback_clerk"})
    assert ladder.Directory().recipients(["handler", "department_manager"], c, "callback")[0].username == "clerk"


def test_a_complaint_resolved_after_hours_is_called_back_next_morning(staff):
    process.save({"triage": False})
    c = register(staff, at=sh(2026, 11, 20, 9, 0))
    workflow.perform("unfounded", c.id, c.version, staff["service_mgr"], sh(2026, 11, 20, 18, 30), explanation="正常")
    assert Clock.get((Clock.complaint == c) & (Clock.kind == "callback")).due_at == sh(2026, 11, 23, 12, 0)


def test_a_complaint_from_the_same_phone_within_90_days_is_a_repeat_linked_both_ways(staff, as_user):
    process.save({"triage": False})
    first = register(staff, at=NOW - timedelta(days=80), customer_phone="13911112222", vin="")
    other = register(staff, at=NOW - timedelta(days=100), customer_phone="13700000000", vin="LFV3A23C0K3000001")
    second = register(staff, customer_phone="13911112222", vin="LFV3A23C0K3000001")
    assert second.repeat_of_id == first.id  # the latest in the window; the VIN match is older than 90 days
    assert other.repeat_of_id is None and first.repeat_of_id is None
    client = as_user("care")
    page = client.get(f"/complaints/{second.number}").get_data(as_text=True)
    assert f'href="/complaints/{first.number}"' in page and "重复投诉" in page
    assert f'href="/complaints/{second.number}"' in client.get(f"/complaints/{first.number}").get_data(as_text=True)
    assert "重复投诉" in client.get("/inbox").get_data(as_text=True)
    process.save({"repeat_days": 120})
    assert register(staff, customer_phone="13700000000", vin="").repeat_of_id == other.id


def test_a_repeat_the_user_may_not_open_is_named_but_not_shown(staff, as_user):
    process.save({"triage": False})
    register(staff, by="advisor", at=NOW - timedelta(days=5), customer_phone="13911112222")
    mine = register(staff, by="front", category="price", customer_phone="13911112222")
    page = as_user("front").get(f"/complaints/{mine.number}").get_data(as_text=True)
    assert "您无权查看" in page and "TS-2026-0001" not in page


def test_the_category_must_agree_with_the_business_line(as_user):
    fields = {k: v for k, v in complaint_fields().items() if v not in (None, [])}
    response = post(as_user("front"), "/complaints/new", dict(fields, business_line="sales",
                                                              category="repair_quality"))
    assert response.status_code == 422 and "属于售后业务" in response.get_data(as_text=True)
    assert Complaint.select().count() == 0


def test_a_department_of_the_other_line_is_refused_on_dispatch_and_assign(staff, as_user):
    c = register(staff)  # after-sales
    sales = str(Department.get(Department.code == "sales").id)
    response = post(as_user("care"), f"/complaints/{c.number}/act/dispatch", dispatch_form(
        c, **{"dispatch-department": sales, "dispatch-due_at": (NOW + timedelta(days=300)).strftime("%Y-%m-%dT%H:%M")}))
    assert response.status_code == 422 and "另一条业务线" in response.get_data(as_text=True)
    value_added = Department.get(Department.code == "value_added")
    workflow.perform("dispatch", c.id, c.version, staff["care"], NOW, verified_facts="属实", department=value_added,
                     handler=None, due_at=NOW + timedelta(days=3))  # the value-added department takes either line
    assert Complaint.get_by_id(c.id).department == value_added
    assert User.get(User.username == "care")

"""Improvement actions (持续改进): made from a complaint or the review, reminded and escalated
by the deadlines' ladder, done by their owner, their effect verified by the care manager."""
import re
from datetime import date, timedelta

import pytest
from helpers import NOW, national_day_calendar, post, sh

import improvements
import workflow
from deadlines import calendar_days
from models import Action, ActionStep, AuditEntry, Complaint, Event, Notification
from review.figures import period_figures


def add_action(client, complaint, owner, due="2026-11-27", description="每周抽查刹车片装配扭矩"):
    return post(client, f"/actions/new?complaint={complaint.number}",
                {"root_cause": "扭矩扳手未校准", "description": description, "owner": owner.id, "due_on": due})


@pytest.fixture
def today(monkeypatch):
    """The forms' 'today' is 20 November 2026, the tests' NOW."""
    import improvement_forms
    monkeypatch.setattr(improvement_forms, "local_now", lambda: NOW + timedelta(hours=8))


def test_a_department_manager_adds_an_action_from_a_complaint_and_its_owner_sees_it(
        as_user, make_complaint, staff, today):
    complaint = make_complaint(by="advisor")
    complaint.update(department=staff["service_mgr"].department, status="in_progress").execute()
    client = as_user("service_mgr")
    response = add_action(client, complaint, staff["advisor"])
    assert response.status_code == 303
    action = Action.get()
    assert (action.description, action.root_cause, action.owner_id, action.status, action.due_on) == (
        "每周抽查刹车片装配扭矩", "扭矩扳手未校准", staff["advisor"].id, "open", date(2026, 11, 27))
    assert action.department_id == staff["service_mgr"].department_id
    # The complaint's file records it; its page lists it; the owner finds it under "mine".
    assert Event.get((Event.complaint == complaint) & (Event.kind == "action_added")).text == "每周抽查刹车片装配扭矩"
    assert "每周抽查刹车片装配扭矩" in client.get(f"/complaints/{complaint.number}").get_data(as_text=True)
    owner = as_user("advisor")
    assert "每周抽查刹车片装配扭矩" in owner.get("/actions?mine=1").get_data(as_text=True)
    # Someone unconnected to it does not see it, nor can open it.
    stranger = as_user("front2")
    assert "每周抽查" not in stranger.get("/actions?show=all").get_data(as_text=True)
    assert stranger.get(f"/actions/{action.id}").status_code == 404


def test_bad_input_is_refused_beside_the_field_and_nothing_saved(as_user, make_complaint, staff, today):
    complaint = make_complaint(by="advisor")
    complaint.update(department=staff["service_mgr"].department).execute()
    client = as_user("service_mgr")
    response = add_action(client, complaint, staff["advisor"], due="2026-11-01", description="<script>x</script>")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The due date cannot be in the past." in page or "截止日期不能早于今天" in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script>x</script>" not in page  # kept, inert
    response = post(client, f"/actions/new?complaint={complaint.number}", {"description": "", "owner": "",
                                                                          "due_on": ""})
    assert response.status_code == 422 and page.count('class="error"') >= 1
    assert Action.select().count() == 0


def test_only_those_who_handle_the_complaint_add_actions_to_it(as_user, make_complaint, staff, today):
    complaint = make_complaint(by="front")  # a sales complaint registered by front; the advisor has no part
    client = as_user("advisor")
    assert client.get(f"/actions/new?complaint={complaint.number}").status_code == 404
    client = as_user("front")
    assert add_action(client, complaint, staff["front"]).status_code == 403
    assert as_user("clerk").get("/actions/new?period=2026-10").status_code == 403
    assert as_user("gm").get("/actions/new?period=2026-10").status_code == 200


def test_the_owner_marks_it_done_and_the_care_manager_verifies_its_effect(as_user, make_complaint, staff, today):
    complaint = make_complaint(by="advisor")
    action = improvements.create({"description": "培训", "owner": staff["advisor"], "due_on": date(2026, 11, 27)},
                                 staff["care"], NOW, calendar_days.load_calendar(), complaint)
    owner = as_user("advisor")
    # The owner may not verify their own work.
    assert post(owner, f"/actions/{action.id}/verify", {"effective": "yes", "verification": "x",
                                                         "version": 1}).status_code == 403
    assert post(owner, f"/actions/{action.id}/done", {"note": "", "version": 1}).status_code == 422
    assert post(owner, f"/actions/{action.id}/done", {"note": "全员培训完毕", "version": 1}).status_code == 303
    done = Action.get_by_id(action.id)
    assert (done.status, done.done_note, done.next_step_at) == ("done", "全员培训完毕", None)
    care = as_user("care")
    page = care.get(f"/actions/{action.id}").get_data(as_text=True)
    assert 'id="action-verify"' in page
    # A stale form (made before the action was done) is refused, not merged.
    stale = post(care, f"/actions/{action.id}/verify", {"effective": "no", "verification": "抽查", "version": 1})
    assert stale.status_code == 409 and Action.get_by_id(action.id).status == "done"
    response = post(care, f"/actions/{action.id}/verify", {"effective": "no", "verification": "抽查三台仍异响",
                                                            "version": 2})
    assert response.status_code == 303
    verified = Action.get_by_id(action.id)
    assert (verified.status, verified.verified_by_id, verified.verification) == (
        "ineffective", staff["care"].id, "抽查三台仍异响")
    assert [e.kind for e in Event.select().where(Event.complaint == complaint).order_by(Event.id)][-3:] == [
        "action_added", "action_done", "action_verified"]
    assert AuditEntry.select().where(AuditEntry.action == "action_changed").count() == 2
    # Not effective: the page offers the next action, filled in from the same complaint.
    page = care.get(f"/actions/{action.id}").get_data(as_text=True)
    assert f"/actions/new?complaint={complaint.number}" in page


def test_an_open_action_is_reminded_and_escalated_by_the_ladder_and_moves_with_its_date(app, staff):
    national_day_calendar()  # Monday to Friday, 08:30-17:30
    calendar = calendar_days.load_calendar()
    created = sh(2026, 11, 16, 9, 0)  # Monday
    action = improvements.create({"description": "更新报价流程", "owner": staff["front"],
                                  "due_on": date(2026, 11, 20)}, staff["sales_mgr"], created, calendar)
    assert action.due_at == sh(2026, 11, 20, 17, 30)

    def told(level):
        return {n.user.username for n in Notification.select().where(
            (Notification.action == action.id) & (Notification.kind == level))}
    workflow.sweep(sh(2026, 11, 19, 8, 31), calendar)  # the working day before
    assert told("before") == {"front"}
    workflow.sweep(sh(2026, 11, 20, 8, 31), calendar)  # the due day: the owner and the department's manager
    assert told("due_day") == {"front", "sales_mgr"}
    workflow.sweep(sh(2026, 11, 23, 8, 31), calendar)  # late: the first working moment after
    assert told("overdue") == {"care", "gm"}
    workflow.sweep(sh(2026, 11, 23, 9, 31), calendar)
    assert Notification.select().where(Notification.action == action.id).count() == 5  # each step once
    # Given more time, it is reminded again before its new date.
    fresh = Action.get_by_id(action.id)
    improvements.revise(fresh, staff["front"], date(2026, 11, 27), staff["sales_mgr"], sh(2026, 11, 23, 10), calendar)
    assert Action.get_by_id(action.id).next_step_at == sh(2026, 11, 26, 8, 30)
    workflow.sweep(sh(2026, 11, 26, 8, 31), calendar)
    assert ActionStep.select().where((ActionStep.action == action.id) & (ActionStep.due_day == date(2026, 11, 27))
                                     ).count() == 1
    # Done: the ladder stops.
    improvements.mark_done(Action.get_by_id(action.id), "已更新", staff["front"], sh(2026, 11, 26, 9))
    workflow.sweep(sh(2026, 11, 30, 9), calendar)
    assert not told("overdue") - {"care", "gm"} and Notification.select().where(
        Notification.action == action.id).count() == 6


def test_the_bell_opens_the_action(as_user, staff):
    calendar = calendar_days.load_calendar()
    action = improvements.create({"description": "更新报价流程", "owner": staff["front"],
                                  "due_on": date(2026, 11, 21)}, staff["sales_mgr"], NOW, calendar)
    workflow.sweep(NOW, calendar)  # Friday: the working day before
    client = as_user("front")
    page = client.get("/notifications").get_data(as_text=True)
    assert "更新报价流程" in page
    notification = Notification.get((Notification.user == staff["front"]) & (Notification.action == action.id))
    response = post(client, f"/notifications/{notification.id}/open", {})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/actions/{action.id}")


def test_the_review_counts_actions_and_each_count_opens_its_list(as_user, staff):
    calendar = calendar_days.load_calendar()
    october = sh(2026, 10, 12, 10, 0)

    def make(description, due, created=october):
        return improvements.create({"description": description, "owner": staff["front"], "due_on": due},
                                   staff["care"], created, calendar, period="2026-09")
    verified = make("已验证有效", date(2026, 10, 20))
    improvements.mark_done(verified, "做完", staff["front"], sh(2026, 10, 15, 10))
    improvements.verify(Action.get_by_id(verified.id), True, "抽查", staff["care"], sh(2026, 10, 16, 10))
    make("十月逾期", date(2026, 10, 23))
    late_then_done = make("十月逾期十一月完成", date(2026, 10, 26))
    improvements.mark_done(late_then_done, "补做", staff["front"], sh(2026, 11, 3, 10))
    make("九月建的", date(2026, 11, 30), created=sh(2026, 9, 28, 10))
    figures = period_figures(date(2026, 10, 1), date(2026, 10, 31), calendar)
    assert figures["actions"] == {"created": 3, "done": 1, "effective": 1, "ineffective": 0, "late_at_end": 2}
    client = as_user("gm")
    page = client.get("/reports?month=2026-10").get_data(as_text=True)
    link = re.search(r'href="(/actions\?[^"]*measure=late_at_end[^"]*)"', page).group(1).replace("&amp;", "&")
    listed = client.get(link).get_data(as_text=True)
    assert "十月逾期" in listed and "十月逾期十一月完成" in listed and "已验证有效" not in listed
    assert "九月建的" not in listed


def test_the_printed_form_and_the_register_carry_the_actions(as_user, make_complaint, staff):
    complaint = make_complaint(by="advisor", now=sh(2026, 10, 12, 10))
    improvements.create({"description": "=HYPERLINK(\"x\")", "owner": staff["advisor"],
                         "due_on": date(2026, 11, 27)}, staff["care"], NOW, calendar_days.load_calendar(), complaint)
    client = as_user("care")
    assert "=HYPERLINK" in client.get(f"/complaints/{complaint.number}/print").get_data(as_text=True)
    csv = client.get("/reports/register.csv?month=2026-10").get_data().decode("utf-8-sig")
    assert "'=HYPERLINK" in csv
    assert Complaint.select().count() == 1


def test_a_late_action_goes_into_the_daily_summary_of_whoever_takes_one(app, staff):
    import notify
    from models import User
    User.update(digest=True).where(User.username == "gm").execute()
    calendar = calendar_days.load_calendar()
    action = improvements.create({"description": "更新报价流程", "owner": staff["front"],
                                  "due_on": date(2026, 11, 18)}, staff["care"], NOW - timedelta(days=5), calendar)
    workflow.sweep(NOW, calendar)
    assert Notification.select().where((Notification.action == action.id) & (Notification.kind == "overdue")
                                       & (Notification.user == staff["gm"])).exists()
    with app.app_context():
        assert notify.send_digests(NOW, calendar) == 1


def test_a_new_date_in_the_past_or_a_missing_owner_is_refused_and_nothing_changes(as_user, staff, today):
    action = improvements.create({"description": "培训", "owner": staff["front"], "due_on": date(2026, 11, 27)},
                                 staff["sales_mgr"], NOW, calendar_days.load_calendar())
    client = as_user("sales_mgr")
    response = post(client, f"/actions/{action.id}/revise", {"owner": staff["front"].id, "due_on": "2026-11-01",
                                                              "version": 1})
    assert response.status_code == 422 and "截止日期不能早于今天" in response.get_data(as_text=True)
    response = post(client, f"/actions/{action.id}/revise", {"owner": "", "due_on": "2026-12-04", "version": 1})
    assert response.status_code == 422 and "请选择由谁落实" in response.get_data(as_text=True)
    kept = Action.get_by_id(action.id)
    assert (kept.due_on, kept.owner_id, kept.version) == (date(2026, 11, 27), staff["front"].id, 1)
    assert post(client, f"/actions/{action.id}/revise", {"owner": staff["front2"].id, "due_on": "2026-12-04",
                                                          "version": 1}).status_code == 303
    assert Action.get_by_id(action.id).owner_id == staff["front2"].id

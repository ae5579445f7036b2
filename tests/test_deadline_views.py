"""The pages of the deadline policy: inbox deadlines, overdue board, bell, parts, admin screens."""
import io
from datetime import timedelta

import pytest
from helpers import post, sh

import workflow
from models import (
    CalendarDay,
    Clock,
    ClockRule,
    Complaint,
    Department,
    Event,
    Notification,
    Setting,
    User,
    WaitReason,
    bulk_insert,
    utcnow,
)
from views.overdue import SHOWN


def late_complaint(make_complaint, **fields):
    """A product-quality complaint received three days ago: its 2-working-hour first contact
    is late whatever the time of day the tests run."""
    fields.setdefault("category", "product_quality")
    return make_complaint(by="advisor", now=utcnow() - timedelta(days=3), **fields)


def test_overdue_board_for_the_owner(as_user, make_complaint):
    late = late_complaint(make_complaint, major_facts=["fire"])
    fine = make_complaint(by="advisor", now=utcnow(), category="price")
    client = as_user("gm")
    page = client.get("/overdue").get_data(as_text=True)
    assert late.number in page and fine.number not in page
    assert 'hx-trigger="every 60s"' in page and "售后服务部" in page
    fragment = client.get("/overdue", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and late.number in fragment and 'class="counts"' in fragment


@pytest.mark.parametrize("user, status", [("gm", 200), ("care", 200), ("service_mgr", 404), ("front", 404),
                                          ("admin", 404), ("clerk", 404)])
def test_overdue_board_is_for_the_gm_and_care_manager(as_user, staff, user, status):
    assert as_user(user).get("/overdue").status_code == status


def test_remedial_action_shows_on_the_board(as_user, make_complaint, staff):
    late = late_complaint(make_complaint)
    client = as_user("gm")
    data = {"remedial-text": "已约谈售后总监，今天下班前联系客户", "remedial-version": str(late.version)}
    assert post(client, f"/complaints/{late.number}/act/remedial", data).status_code == 303
    assert "已约谈售后总监" in client.get("/overdue").get_data(as_text=True)


def test_inbox_shows_time_left_and_filters_by_deadline(as_user, make_complaint):
    late = late_complaint(make_complaint)
    later = make_complaint(by="advisor", now=utcnow(), category="price")
    client = as_user("care")
    page = client.get("/inbox").get_data(as_text=True)
    assert page.index(late.number) < page.index(later.number)  # earliest deadline first
    assert "due-overdue" in page and "超期" in page
    overdue = client.get("/inbox?due=overdue").get_data(as_text=True)
    assert late.number in overdue and later.number not in overdue


def test_complaint_page_shows_its_clocks(as_user, make_complaint):
    c = late_complaint(make_complaint)
    page = as_user("care").get(f"/complaints/{c.number}").get_data(as_text=True)
    assert "首次响应" in page and "处理完成" in page and "due-overdue" in page


def swept_late_complaint(app, make_complaint):
    """Registered Friday 09:00, two-hour first contact, swept at noon: care and GM notified."""
    make_complaint(by="advisor", now=sh(2026, 11, 20, 9, 0), category="product_quality")
    with app.app_context():
        workflow.sweep(sh(2026, 11, 20, 12, 0))


def test_bell_counts_unread_and_opening_marks_read(app, as_user, make_complaint, staff):
    swept_late_complaint(app, make_complaint)
    client = as_user("gm")
    assert '<span class="count"' in client.get("/notifications/bell", headers={"HX-Request": "true"}).get_data(
        as_text=True)
    note = Notification.get(Notification.user == staff["gm"])
    response = post(client, f"/notifications/{note.id}/open", {})
    assert response.status_code == 303 and "/complaints/" in response.headers["Location"]
    assert Notification.get_by_id(note.id).read_at is not None
    assert post(as_user("care"), f"/notifications/{note.id}/open", {}).status_code == 404


def test_mark_all_read(app, as_user, make_complaint):
    swept_late_complaint(app, make_complaint)
    client = as_user("care")
    assert "TS-" in client.get("/notifications").get_data(as_text=True)
    post(client, "/notifications/read-all", {})
    assert not Notification.select().where(Notification.read_at.is_null()
                                           & (Notification.user == User.get(User.username == "care"))).exists()


def test_parts_work_order_through_the_page(as_user, make_complaint, staff):
    c = make_complaint(by="advisor", category="parts_supply")
    workflow.perform("contact", c.id, c.version, staff["service_mgr"], utcnow(), method="phone", summary="x")
    client = as_user("service_mgr")
    data = {"parts-stock": "out", "parts-version": str(Complaint.get_by_id(c.id).version),
            "parts-lines-0-part_name": "空调压缩机", "parts-lines-0-part_number": "5Q0820803",
            "parts-lines-0-quantity": "1"}
    assert post(client, f"/complaints/{c.number}/act/parts", data, htmx=True).status_code == 200
    tracking = client.get("/parts").get_data(as_text=True)
    assert c.number in tracking and "空调压缩机" in tracking


def test_parts_out_of_stock_needs_a_part(as_user, make_complaint, staff):
    c = make_complaint(by="advisor", category="parts_supply")
    workflow.perform("contact", c.id, c.version, staff["service_mgr"], utcnow(), method="phone", summary="x")
    data = {"parts-stock": "out", "parts-version": str(Complaint.get_by_id(c.id).version)}
    response = post(as_user("service_mgr"), f"/complaints/{c.number}/act/parts", data, htmx=True)
    assert response.status_code == 422 and 'id="parts-lines-error"' in response.get_data(as_text=True)


def test_set_deadline_is_typed_in_local_time(as_user, make_complaint):
    c = make_complaint(by="advisor", now=utcnow())
    day = (utcnow() + timedelta(days=30)).strftime("%Y-%m-%d")
    data = {"set_deadline-due_at": f"{day}T17:30", "set_deadline-reason": "等待厂家技术支持",
            "set_deadline-version": str(c.version)}
    assert post(as_user("care"), f"/complaints/{c.number}/act/set_deadline", data).status_code == 303
    from models import Clock
    clock = Clock.get((Clock.complaint == c) & (Clock.kind == "completion"))
    assert clock.due_at.strftime("%Y-%m-%d %H:%M") == f"{day} 09:30"
    assert post(as_user("service_mgr"), f"/complaints/{c.number}/act/set_deadline", data).status_code == 403


def test_admin_edits_rules_with_errors_beside_the_field(as_user):
    client = as_user("admin")
    assert "首次响应" in client.get("/admin/rules").get_data(as_text=True)
    bad = post(client, "/admin/rules", {"kind": "completion", "category": "price", "severity": "*", "amount": "0",
                                         "unit": "hours"})
    assert bad.status_code == 422 and 'id="amount-error"' in bad.get_data(as_text=True)
    good = post(client, "/admin/rules", {"kind": "completion", "category": "price", "severity": "*", "amount": "48",
                                          "unit": "hours"})
    assert good.status_code == 303
    rule = ClockRule.get(ClockRule.category == "price")
    assert post(client, f"/admin/rules/{rule.id}", {f"rule{rule.id}-amount": "5000",
                                                   f"rule{rule.id}-unit": "hours"}).status_code == 422
    assert post(client, f"/admin/rules/{rule.id}", {f"rule{rule.id}-amount": "3",
                                                   f"rule{rule.id}-unit": "working_days"}).status_code == 303
    assert (ClockRule.get_by_id(rule.id).amount, ClockRule.get_by_id(rule.id).unit) == (3, "working_days")
    asked = post(client, f"/admin/rules/{rule.id}", {"delete": "1"})  # asked once more, nothing gone yet
    assert asked.status_code == 200 and 'name="confirmed"' in asked.get_data(as_text=True)
    assert ClockRule.get_or_none(ClockRule.id == rule.id) is not None
    assert post(client, f"/admin/rules/{rule.id}", {"delete": "1", "confirmed": "1"}).status_code == 303
    assert ClockRule.get_or_none(ClockRule.id == rule.id) is None


def test_the_last_rule_a_deadline_needs_cannot_be_deleted(as_user, make_complaint):
    client = as_user("admin")
    catch_all = ClockRule.get((ClockRule.kind == "completion") & (ClockRule.category == "*")
                              & (ClockRule.severity == "*"))
    refused = post(client, f"/admin/rules/{catch_all.id}", {"delete": "1", "confirmed": "1"})
    assert refused.status_code == 409 and "删除后它们将不再计时" in refused.get_data(as_text=True)
    assert ClockRule.get_or_none(ClockRule.id == catch_all.id) is not None
    assert make_complaint(category="price").clocks.where(Clock.kind == "completion").exists()


def test_calendar_takes_a_years_list_all_or_nothing(as_user):
    client = as_user("admin")
    bad = post(client, "/admin/calendar", {"days-lines": "2027-01-01 holiday 元旦\n2027-02-30 holiday 春节"})
    assert bad.status_code == 422 and "2027-02-30" in bad.get_data(as_text=True)
    assert CalendarDay.select().count() == 0
    good = post(client, "/admin/calendar", {"days-lines": "2027-01-01 holiday 元旦\n2027-02-07 workday 春节调休"})
    assert good.status_code == 303 and CalendarDay.select().count() == 2


def test_calendar_imports_a_csv_file(as_user):
    client = as_user("admin")
    csv = "date,kind,name\n2027-10-01,holiday,国庆节\n2027-10-09,workday,国庆调休\n".encode("utf-8-sig")
    response = post(client, "/admin/calendar/import", {"csv-file": (io.BytesIO(csv), "days.csv")})
    assert response.status_code == 303
    assert {(d.kind, d.name) for d in CalendarDay.select()} == {("holiday", "国庆节"), ("workday", "国庆调休")}


def week_form(**changes):
    """The week form as posted: Monday to Friday 08:30-17:30 with lunch, weekends 09:00-17:00 without."""
    data = {}
    for n in range(7):
        weekend = n >= 5
        data.update({f"week-days-{n}-open": "y", f"week-days-{n}-start": "09:00" if weekend else "08:30",
                     f"week-days-{n}-lunch_start": "" if weekend else "12:00",
                     f"week-days-{n}-lunch_end": "" if weekend else "13:30",
                     f"week-days-{n}-end": "17:00" if weekend else "17:30"})
    data.update(changes)
    return data


def test_the_showroom_week_with_its_hours_per_day(as_user):
    from deadlines.calendar_days import load_calendar
    client = as_user("admin")
    assert post(client, "/admin/calendar/week", week_form()).status_code == 303
    calendar = load_calendar()
    assert calendar.is_working_day(sh(2026, 11, 22, 10, 0).date())  # a Sunday
    assert calendar.day_starts(sh(2026, 11, 22, 10, 0).date()) == sh(2026, 11, 22, 9, 0)
    assert calendar.is_working_time(sh(2026, 11, 22, 12, 30))  # no lunch break on Sunday
    closed_sunday = week_form(**{"week-days-6-open": ""})
    del closed_sunday["week-days-6-open"]
    post(client, "/admin/calendar/week", closed_sunday)
    assert not load_calendar().is_working_day(sh(2026, 11, 22, 10, 0).date())
    assert Setting.read("week")[6]["start"] == "09:00"  # a closed day keeps its hours for when it opens again


@pytest.mark.parametrize("changes", [
    {"week-days-0-lunch_start": "08:00"}, {"week-days-0-lunch_end": ""}, {"week-days-2-end": ""},
    {"week-days-3-start": "18:00"},
])
def test_a_week_out_of_order_is_refused_beside_the_day(as_user, changes):
    before = Setting.read("week")
    response = post(as_user("admin"), "/admin/calendar/week", week_form(**changes))
    assert response.status_code == 422 and 'class="error"' in response.get_data(as_text=True)
    assert Setting.read("week") == before


def test_ladder_settings(as_user):
    client = as_user("admin")
    data = {"before": ["handler"], "due_day": ["handler"], "overdue": ["general_manager"],
            "unhappy": ["general_manager", "care_manager"], "pausing": ["parts_centre"]}
    assert post(client, "/admin/ladder", data).status_code == 303
    assert Setting.read("ladder")["overdue"] == ["general_manager"]
    assert WaitReason.get(WaitReason.code == "parts_centre").pauses_completion


def test_department_webhook_must_be_a_web_address(as_user):
    dept = Department.get(Department.code == "after_sales")
    client = as_user("admin")
    assert post(client, f"/admin/departments/{dept.id}", {"webhook_url": "javascript:alert(1)",
                                                          "webhook_format": "wecom"}).status_code == 422
    assert post(client, f"/admin/departments/{dept.id}", {"webhook_url": "https://robot.example/send?key=1",
                                                          "webhook_format": "wecom"}).status_code == 303
    assert Department.get_by_id(dept.id).webhook_format == "wecom"


@pytest.mark.parametrize("path", ["/admin/rules", "/admin/calendar", "/admin/ladder"])
def test_policy_screens_are_for_the_administrator(as_user, path):
    assert as_user("care").get(path).status_code == 404


def test_user_chooses_what_reaches_them(as_user):
    client = as_user("gm")
    bad = post(client, "/account", {"language": "zh_CN", "email": "not-an-address"})
    assert bad.status_code == 422 and 'id="email-error"' in bad.get_data(as_text=True)
    ok = post(client, "/account", {"language": "zh_CN", "email": "gm@dealer.test", "email_kinds": ["overdue"],
                                   "digest": "y"})
    assert ok.status_code == 303
    gm = User.get(User.username == "gm")
    assert (gm.email, gm.email_kinds, gm.digest) == ("gm@dealer.test", "overdue", True)


def test_the_wall_shows_each_late_complaint_once_with_its_late_deadlines(as_user, make_complaint):
    """A complaint weeks late on two deadlines is one row listing both; the worst comes first."""
    mild = make_complaint(by="advisor", now=utcnow() - timedelta(days=20), category="price")
    major = make_complaint(by="advisor", now=utcnow() - timedelta(days=10), category="product_quality",
                           major_facts=["fire"])
    page = as_user("gm").get("/overdue").get_data(as_text=True)
    rows = page.split("<tbody>")[1].split("</tbody>")[0].split("<tr ")[1:]
    assert [major.number in rows[0], mild.number in rows[1], len(rows)] == [True, True, 2]
    assert rows[0].count('class="late-clock"') == 2 and "首次响应" in rows[0] and "处理完成" in rows[0]
    summary = page.split('class="late-by"')[1].split("</dl>")[0]
    assert "售后服务部 <strong>1</strong>" in summary and "销售部 <strong>1</strong>" in summary
    assert '<strong class="due-overdue">2</strong>' in page


def test_the_wall_counts_the_complaints_due_today_and_tomorrow(app, as_user, make_complaint):
    """Complaints with a running deadline due before midnight, and during tomorrow; each once,
    however many of its deadlines fall then; a deadline met already is not counted."""
    from deadlines import calendar_days
    now = utcnow()
    with app.app_context():
        today_ends = calendar_days.load_calendar().midnight_after(now)
    later_today, tomorrow = now + (today_ends - now) / 2, today_ends + timedelta(hours=10)
    both, one, met, next_day = (make_complaint(by="advisor", category="product_quality") for _ in range(4))
    for complaint, due, met_at in [(both, later_today, None), (one, later_today, None), (met, later_today, now),
                                   (next_day, tomorrow, None)]:
        Clock.update(due_at=due, met_at=met_at).where(Clock.complaint == complaint).execute()
    counts = as_user("gm").get("/overdue").get_data(as_text=True).split('class="counts"')[1].split("</div>\n")[0]
    assert "<strong>2</strong>今日到期" in counts and "<strong>1</strong>明日到期" in counts, counts


def test_one_notification_per_complaint_with_its_deadline_due_time_and_handler(app, as_user, make_complaint,
                                                                              staff):
    """A major complaint swept when both its deadlines are late: the GM hears of it once, with
    which deadline, when it was due and who handles it; the at-once alert stays on top."""
    c = make_complaint(by="advisor", now=sh(2026, 11, 2, 9, 0), category="product_quality", major_facts=["fire"])
    workflow.perform("assign", c.id, c.version, staff["service_mgr"], sh(2026, 11, 2, 9, 5),
                     department=c.department, handler=staff["advisor"])
    with app.app_context():
        workflow.sweep(sh(2026, 11, 20, 12, 0))
    gm = staff["gm"]
    assert [n.kind for n in Notification.select().where(Notification.user == gm)
            .order_by(Notification.kind)] == ["at_once", "overdue"]
    client = as_user("gm")
    page = client.get("/notifications").get_data(as_text=True)
    top, rest = page.split('class="notifications plain urgent-list"')[1].split('class="notifications plain"')
    assert "新车质量或重大投诉：立即通知" in top and "overdue" not in top  # the at-once alert, on top while unread
    assert "首次响应" in rest and "2026-11-02 11:00" in rest and "Advisor" in rest
    assert '<span class="count" aria-label="2 条未读">2</span>' in client.get(
        "/notifications/bell", headers={"HX-Request": "true"}).get_data(as_text=True)
    post(client, "/notifications/read-all", {})
    page = client.get("/notifications").get_data(as_text=True)
    assert "urgent-list" not in page and page.count('<li class="') == 2


def test_notifications_come_a_page_at_a_time(app, as_user, make_complaint, staff):
    complaints = [make_complaint(by="advisor") for _ in range(60)]
    Notification.insert_many([{"user": staff["gm"].id, "complaint": c.id, "kind": "overdue", "urgent": True,
                               "created_at": utcnow() - timedelta(minutes=i)} for i, c in enumerate(complaints)]
                             ).execute()
    client = as_user("gm")
    first = client.get("/notifications").get_data(as_text=True)
    assert 'href="/notifications?page=2"' in first
    second = client.get("/notifications?page=2").get_data(as_text=True)
    assert second.count('<li class="') == 10


def add_late_complaints(n, registered_by, now, first=0):
    """n open complaints, each with a completion deadline a day or more late and a remedial action."""
    due = [now - timedelta(days=1, minutes=i) for i in range(n)]
    complaints = [{"number": f"TS-LATE-{first + i:05d}", "received_at": now - timedelta(days=10),
                   "registered_at": now - timedelta(days=10), "registered_by": registered_by.id,
                   "channel": "phone", "business_line": "after_sales", "customer_name": f"客户{i}",
                   "customer_phone": f"139{first + i:08d}", "category": "repair_quality", "demand": "repair",
                   "severity": ("major", "general")[i % 2], "description": "x", "status": "in_progress",
                   "updated_at": now, "next_due_at": due[i], "running_due_at": due[i]} for i in range(n)]
    bulk_insert(Complaint, complaints)
    ids = [c.id for c in Complaint.select(Complaint.id).where(Complaint.number.startswith("TS-LATE-"))
           .order_by(Complaint.id)][first:]
    bulk_insert(Clock, [{"complaint": cid, "kind": "completion", "started_at": now - timedelta(days=10),
                         "original_due_at": d, "due_at": d} for cid, d in zip(ids, due, strict=True)])
    bulk_insert(Event, [{"complaint": cid, "at": now, "kind": "remedial", "text": "已催办"} for cid in ids])


def test_the_board_costs_the_same_with_10_or_5000_late(as_user, staff, count_queries):
    """The wall shows the worst rows and counts the rest: its queries and rows stay fixed
    however many deadlines are late."""
    now = utcnow()
    client = as_user("gm")
    add_late_complaints(10, staff["care"], now)
    with count_queries() as few:
        page = client.get("/overdue").get_data(as_text=True)
    assert page.count('<tr class="severity-row-') == 10 and "已催办" in page
    add_late_complaints(4990, staff["care"], now, first=10)
    with count_queries() as many:
        page = client.get("/overdue").get_data(as_text=True)
    assert len(many.queries) == len(few.queries)
    assert page.count('<tr class="severity-row-') == SHOWN
    assert '<strong class="due-overdue">5000</strong>' in page
    assert "另有 4940 条超期投诉" in page  # the rest are a click away, in the inbox


def test_the_wall_follows_a_deadline_paused_resumed_and_extended(as_user, make_complaint, staff):
    """The wall reads each complaint's earliest running deadline, kept as the clocks move: a paused
    deadline is not late, a resumed one is again, an extended one no longer."""
    WaitReason.update(pauses_completion=True).where(WaitReason.code == "parts_centre").execute()
    c = make_complaint(by="advisor", now=utcnow() - timedelta(days=40), category="repair_quality")
    client = as_user("gm")

    def act(action, by, **data):
        workflow.perform(action, c.id, Complaint.get_by_id(c.id).version, staff[by], utcnow(), **data)
        return c.number in client.get("/overdue").get_data(as_text=True)

    assert c.number in client.get("/overdue").get_data(as_text=True)
    assert act("contact", "service_mgr", method="phone", summary="x")  # first contact met, completion still late
    assert not act("wait", "service_mgr", reason="parts_centre")  # paused: not late
    assert act("wait", "service_mgr", reason="")  # running again, still past its deadline
    assert not act("set_deadline", "care", due_at=utcnow() + timedelta(days=3), reason="等待厂家鉴定")
    running = Clock.select().where((Clock.complaint == c.id) & Clock.met_at.is_null())
    assert Complaint.get_by_id(c.id).running_due_at == min(clock.due_at for clock in running)  # the solution's

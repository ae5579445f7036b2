"""Proactive callbacks (policy §4.1.1): the schedule on the working calendar, every outcome,
the complaint found on a call, the closing callback from the queue, the calls' ladder."""
import re
from datetime import date, timedelta

import pytest
from helpers import NOW, complaint_fields, post, sh, weekdays_only

import process
import workflow
from callbacks import outcomes, schedule
from deadlines import calendar_days
from models import Call, CallStep, Complaint, Delivery, DoNotCall, Notification, ServiceVisit, User, utcnow


@pytest.fixture(autouse=True)
def showroom(app):
    weekdays_only()
    process.save({"triage": False})


def delivery(day, consultant=None, phone="13812345678", vin="LSVAB2180E2123456"):
    return Delivery.create(customer_name="张伟", customer_phone=phone, vehicle_model="朗逸", vin=vin, plate="沪A12345",
                           delivered_on=day, consultant=consultant, created_at=NOW)


def visit(day, advisor=None, order="RO1"):
    return ServiceVisit.create(repair_order=order, customer_name="李娜", customer_phone="13912345678",
                               vehicle_model="帕萨特", handed_back_on=day, advisor=advisor, created_at=NOW)


def calls_of(record):
    field = Call.delivery if isinstance(record, Delivery) else Call.service_visit
    return {c.kind: c for c in Call.select().where(field == record)}


def test_a_delivery_before_spring_festival_schedules_its_calls_on_working_days(app, staff):
    """Fri 13 Feb 2026; make-up Saturdays 14 and 28 Feb; off 15-23 Feb (the real 2026 calendar)."""
    calendar_days.load_official(2026)
    record = delivery(date(2026, 2, 13), consultant=staff["front"])
    with app.app_context():
        schedule.create("delivery", [record], calendar_days.load_calendar(), sh(2026, 2, 13, 18, 0))
    calls = calls_of(record)
    assert calls["sales_3d"].due_at == sh(2026, 2, 25, 17, 30)  # 14 Feb, then 24 and 25 Feb
    assert calls["sales_3d"].owner == staff["front"]  # the consultant's own call
    assert calls["delivery_7d"].due_at == sh(2026, 3, 2, 17, 30)  # 14, 24, 25, 26, 27, 28 Feb, 2 Mar
    assert calls["delivery_7d"].owner is None and calls["delivery_7d"].owner_role == "callback_clerk"
    assert calls["delivery_25d"].opens_at == calls["delivery_7d"].due_at  # not for the second day


def test_a_service_visit_before_national_day_is_called_after_the_holiday(app, staff):
    calendar_days.load_official(2026)
    record = visit(date(2026, 9, 30))
    with app.app_context():
        schedule.create("service", [record], calendar_days.load_calendar(), sh(2026, 9, 30, 18, 0))
    assert calls_of(record)["service_3d"].due_at == sh(2026, 10, 10, 17, 30)  # 8, 9 Oct and make-up Sat 10 Oct


def test_the_administrator_changes_the_schedule_and_switches_a_call_off(as_user, staff):
    data = {"attempts": "3"}
    for e in schedule.DEFAULT:
        data.update({f"days_{e['kind']}": str(e["days"]), f"owner_{e['kind']}": e["owner"]})
    data.update({"days_delivery_25d": "0", "days_sales_3d": "2",
                 "script_delivery_7d_zh_CN": "您好，请问您对购车满意吗？"})
    assert post(as_user("admin"), "/admin/callbacks", data).status_code == 303
    record = delivery(date.today() - timedelta(days=1), consultant=staff["front"])
    schedule.create("delivery", [record], calendar_days.load_calendar("Asia/Shanghai"), utcnow())
    assert set(calls_of(record)) == {"sales_3d", "delivery_7d"}
    page = as_user("clerk").get("/callbacks").get_data(as_text=True)  # the 7-day call may be made now
    assert "您好，请问您对购车满意吗？" in page


def test_a_customer_who_asked_not_to_be_called_gets_no_calls(app, staff):
    DoNotCall.create(phone="13812345678", since=NOW)
    record = delivery(date(2026, 11, 18))
    with app.app_context():
        assert schedule.create("delivery", [record], calendar_days.load_calendar(), NOW) == 0


def make_calls(app, staff, day=None, consultant="front"):
    record = delivery(day or date(2026, 11, 17), consultant=staff[consultant])
    with app.app_context():
        schedule.create("delivery", [record], calendar_days.load_calendar(), NOW)
    return calls_of(record)


def outcome(client, call, **data):
    fields = {f"call{call.id}-{k}": v for k, v in data.items()}
    return post(client, f"/callbacks/{call.id}/outcome", fields)


def test_satisfied_needs_a_score_and_is_kept_in_columns(app, staff, as_user):
    call = make_calls(app, staff)["delivery_7d"]
    client = as_user("clerk")
    refused = outcome(client, call, outcome="satisfied", comment="讲解<script>x</script>很细")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "1 到 5 分" in page
    # What was typed stays, inert, with the choice made.
    assert 'value="satisfied" checked' in page and "讲解&lt;script&gt;x&lt;/script&gt;很细</textarea>" in page
    refused = outcome(client, call, outcome="no_answer", score="3", comment="x" * 2001)
    assert refused.status_code == 422 and '<option selected value="3">' in refused.get_data(as_text=True)
    assert Call.get_by_id(call.id).attempts == 0  # nothing half-saved
    assert outcome(client, call, outcome="satisfied", score="4", comment="很满意").status_code == 303
    done = Call.get_by_id(call.id)
    assert (done.status, done.score, done.comment, done.called_by.username) == ("satisfied", 4, "很满意", "clerk")
    assert outcome(client, call, outcome="satisfied", score="5").status_code == 422  # recorded already


def test_no_answer_tries_again_next_working_period_then_unreachable(app, staff):
    call = make_calls(app, staff)["delivery_7d"]
    clerk = staff["clerk"]
    with app.app_context():
        calendar = calendar_days.load_calendar()
        outcomes.record(call.id, "no_answer", clerk, sh(2026, 11, 20, 10, 0), calendar)  # Friday morning
        assert Call.get_by_id(call.id).next_try_at == sh(2026, 11, 20, 13, 30)  # this afternoon
        outcomes.record(call.id, "no_answer", clerk, sh(2026, 11, 20, 14, 0), calendar)
        assert Call.get_by_id(call.id).next_try_at == sh(2026, 11, 23, 8, 30)  # Monday morning
        outcomes.record(call.id, "no_answer", clerk, sh(2026, 11, 23, 9, 0), calendar)
    done = Call.get_by_id(call.id)
    assert (done.status, done.attempts) == ("unreachable", 3)


def test_a_call_tried_without_answer_waits_out_of_the_call_now_list(app, staff, as_user):
    call = make_calls(app, staff, day=date.today() - timedelta(days=2))["delivery_7d"]
    client = as_user("clerk")
    outcome(client, call, outcome="no_answer")
    page = client.get("/callbacks").get_data(as_text=True)
    assert f'id="call-{call.id}"' not in page or "再拨" in page


def test_wrong_number_and_do_not_call(app, staff, as_user):
    calls = make_calls(app, staff)
    client = as_user("clerk")
    outcome(client, calls["delivery_7d"], outcome="do_not_call")
    assert DoNotCall.get_by_id("13812345678")
    assert Call.get_by_id(calls["delivery_25d"].id).status == "cancelled"  # no more calls to that phone
    other = make_calls(app, staff, day=date(2026, 11, 16), consultant="front2")  # a new delivery, same phone
    assert other == {}
    second = calls_of(delivery(date(2026, 11, 16), phone="13700000000", vin="LSVAB2180E2999999"))
    assert second == {}  # created without schedule.create: nothing
    record = delivery(date(2026, 11, 15), phone="13700000001", vin="LSVAB2180E2888888")
    with app.app_context():
        schedule.create("delivery", [record], calendar_days.load_calendar(), NOW)
    wrong = calls_of(record)["delivery_7d"]
    outcome(client, wrong, outcome="wrong_number")
    assert Call.get_by_id(wrong.id).status == "wrong_number"


def test_a_complaint_found_on_a_call_opens_the_form_prefilled_and_links_both_ways(app, staff, as_user):
    call = make_calls(app, staff)["delivery_7d"]
    client = as_user("clerk")
    response = outcome(client, call, outcome="complaint")
    assert response.status_code == 303 and f"/complaints/new?call={call.id}" in response.headers["Location"]
    form = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="张伟"' in form and 'value="LSVAB2180E2123456"' in form and "在给 张伟 的回访" in form
    assert f'<option selected value="{staff["front"].id}">' in form or f'value="{staff["front"].id}" selected' in form
    data = {k: v for k, v in complaint_fields(category="sales_promise", business_line="sales").items()
            if v not in (None, [])}
    data.update(channel="callback", person_involved=str(staff["front"].id))
    saved = post(client, f"/complaints/new?call={call.id}", data)
    assert saved.status_code == 303
    complaint = Complaint.get()
    done = Call.get_by_id(call.id)
    assert done.status == "complaint" and done.complaint_found == complaint and complaint.channel == "callback"
    assert complaint.number in client.get("/callbacks?when=done").get_data(as_text=True)
    page = client.get(f"/complaints/{complaint.number}").get_data(as_text=True)
    assert "发现于" in page and "交车 7 日回访" in page


def resolved(staff, at=NOW):
    c = workflow.register(complaint_fields(), staff["advisor"], at - timedelta(hours=3))
    return workflow.perform("unfounded", c.id, c.version, staff["service_mgr"], at, explanation="正常现象")


def test_the_closing_callback_is_in_the_queue_and_satisfied_closes_the_complaint(app, staff, as_user):
    c = resolved(staff)
    call = Call.get(Call.complaint == c)
    assert (call.kind, call.owner_role) == ("closing", "care_manager")
    client = as_user("care")
    # (to call now, or upcoming: which one depends on today's date against the test's fixed NOW)
    assert any(f'id="call-{call.id}"' in client.get(f"/callbacks?when={when}").get_data(as_text=True)
               for when in ("now", "upcoming"))
    assert outcome(client, call, outcome="satisfied", comment="满意").status_code == 303
    assert Complaint.get_by_id(c.id).status == "closed"
    assert Call.get_by_id(call.id).status == "satisfied"


def test_still_unhappy_from_the_queue_reopens_and_tells_the_gm_at_once(app, staff, as_user):
    c = resolved(staff)
    call = Call.get(Call.complaint == c)
    outcome(as_user("care"), call, outcome="unhappy", comment="问题又出现了")
    assert Complaint.get_by_id(c.id).status == "in_progress"
    assert Call.get_by_id(call.id).status == "unhappy"
    gm = Notification.get((Notification.user == staff["gm"]) & (Notification.kind == "unhappy"))
    assert gm.urgent and gm.complaint_id == c.id


def test_a_callback_logged_on_the_complaint_page_settles_its_call(app, staff):
    c = resolved(staff)
    workflow.perform("callback", c.id, Complaint.get_by_id(c.id).version, staff["care"], NOW + timedelta(hours=1),
                     outcome="satisfied", notes="")
    assert Call.get(Call.complaint == c).status == "satisfied"


def test_the_callback_clerk_makes_closing_calls_where_the_showroom_says_so(app, staff):
    process.save({"callback_owner": "callback_clerk"})
    assert Call.get(Call.complaint == resolved(staff)).owner_role == "callback_clerk"


def test_calls_are_reminded_and_escalated_by_the_same_sweep(app, staff, as_user):
    record = delivery(date(2026, 11, 17), consultant=staff["front"])  # a Tuesday
    with app.app_context():
        schedule.create("delivery", [record], calendar_days.load_calendar(), sh(2026, 11, 17, 18, 0))
        # The consultant's 3-day call is due Friday 20 Nov 17:30.
        early = workflow.sweep(sh(2026, 11, 19, 9, 0))["calls"]
        due = workflow.sweep(sh(2026, 11, 20, 9, 0))["calls"]
        late = workflow.sweep(sh(2026, 11, 23, 9, 0))["calls"]
    sales = calls_of(record)["sales_3d"].id
    assert (sales, "sales_3d", "before", ["front"]) in early
    assert (sales, "sales_3d", "due_day", ["front"]) in due
    assert (sales, "sales_3d", "overdue", ["care", "gm"]) in late
    assert CallStep.select().where(CallStep.call == sales).count() == 3
    assert Notification.select().where(Notification.call == sales).count() == 4
    # Under the care manager's bell: the call, whose it is about and when it was due.
    page = as_user("care").get("/notifications").get_data(as_text=True)
    assert "销售顾问交车 3 日内回访 · 张伟" in page and "2026-11-20 17:30 前完成" in page


def test_a_consultant_sees_and_records_only_their_own_calls(app, staff, as_user):
    calls = make_calls(app, staff, day=date.today() - timedelta(days=1))
    mine, clerks = calls["sales_3d"], calls["delivery_7d"]
    client = as_user("front")
    page = client.get("/callbacks?when=upcoming").get_data(as_text=True) + client.get("/callbacks").get_data(
        as_text=True)
    assert f'id="call-{mine.id}"' in page and f'id="call-{clerks.id}"' not in page
    assert outcome(client, clerks, outcome="wrong_number").status_code == 404
    assert as_user("front2").get(f"/complaints/new?call={mine.id}").status_code == 200  # opens, but not linked
    assert Call.get_by_id(clerks.id).status == "open"


def test_the_figures_count_and_link_to_the_calls(app, staff, as_user):
    calls = make_calls(app, staff, day=date.today() - timedelta(days=2))
    client = as_user("clerk")
    outcome(client, calls["delivery_7d"], outcome="satisfied", score="5")
    page = client.get("/callbacks").get_data(as_text=True)
    assert "今天已回访" in page and "接通率 100%" in page and "满意率 100%" in page
    assert "/callbacks?when=done&amp;kind=delivery_7d" in page
    fragment = client.get("/callbacks/figures", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "今天已回访" in fragment


def month_rows(page):
    """This month's table as {row heading: (made, reach rate, satisfaction rate, complaints found)}."""
    table = page.split('<details class="month-figures">')[1].split("</details>")[0]
    rows = re.findall(r'<th scope="row"><a [^>]*>([^<]*)</a></th>\s*<td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td>'
                      r'<td>(\d+)</td>', table)
    return {heading: (int(made), reach, satisfaction, int(found)) for heading, made, reach, satisfaction, found in rows}


def test_the_months_figures_count_each_kind_and_each_owner(app, staff, as_user):
    """Made: an outcome recorded this month (not a cancelled call, not last month's). Reach rate:
    answered / made; satisfaction rate: satisfied / answered; by kind, and by the consultant who
    owns the calls; the clerk's own calls and everyone's."""
    now = utcnow()
    first = make_calls(app, staff, day=date.today() - timedelta(days=2))
    second = make_calls(app, staff, day=date.today() - timedelta(days=3), consultant="front2")
    last_month = now.replace(day=1) - timedelta(days=2)
    for call, status, at in [(first["sales_3d"], "satisfied", now), (first["delivery_7d"], "unhappy", now),
                             (first["delivery_25d"], "cancelled", now), (second["sales_3d"], "unreachable", now),
                             (second["delivery_7d"], "complaint", now),
                             (second["delivery_25d"], "satisfied", last_month)]:
        Call.update(status=status, called_at=at).where(Call.id == call.id).execute()
    everyone = month_rows(as_user("gm").get("/callbacks").get_data(as_text=True))
    assert everyone == {"销售顾问交车 3 日内回访": (2, "50%", "100%", 0), "交车 7 日回访": (2, "100%", "0%", 1),
                        "Front": (1, "100%", "100%", 0), "Front2": (1, "0%", "—", 0)}, everyone
    page = as_user("gm").get("/callbacks").get_data(as_text=True)
    assert "已回访 4 个，接通率 75%，满意率 33%，发现投诉 1 起" in page
    clerks = month_rows(as_user("clerk").get("/callbacks").get_data(as_text=True))  # the clerk's own: the 7-day calls
    assert clerks == {"交车 7 日回访": (2, "100%", "0%", 1)}, clerks
    consultants = month_rows(as_user("front2").get("/callbacks").get_data(as_text=True))
    assert consultants == {"销售顾问交车 3 日内回访": (1, "0%", "—", 0), "Front2": (1, "0%", "—", 0)}, consultants
    # Today's cards: due today (open, due before midnight) and overdue (open, due before now).
    third = make_calls(app, staff, day=date.today() - timedelta(days=4))
    with app.app_context():
        today_ends = calendar_days.load_calendar().midnight_after(now)
    Call.update(due_at=now + (today_ends - now) / 2).where(Call.id == third["sales_3d"].id).execute()
    Call.update(due_at=now - timedelta(days=3)).where(Call.id == third["delivery_7d"].id).execute()
    for who, due, overdue in [("gm", 1, 1), ("front", 1, 0), ("clerk", 0, 1)]:
        page = as_user(who).get("/callbacks").get_data(as_text=True)
        cards = re.findall(r'<strong[^>]*>(\d+)</strong>', page.split('class="counts"')[1].split("</div>")[0])
        assert (int(cards[0]), int(cards[2])) == (due, overdue), (who, cards)


def test_the_figures_follow_the_list_from_mine_to_everyones(app, staff, as_user):
    """The list comes back as a fragment when the filter changes; its figures come along out of
    band, for the calls now listed (they stayed the clerk's own when everyone's were listed)."""
    make_calls(app, staff, day=date.today() - timedelta(days=2))
    client = as_user("clerk")
    page = client.get("/callbacks").get_data(as_text=True)
    assert "hx-swap-oob" not in page and "whose=mine" in page
    fragment = client.get("/callbacks?whose=all", headers={"HX-Request": "true"}).get_data(as_text=True)
    start = fragment.index('<div id="call-figures"')
    figures = fragment[start:fragment.index("</div>", fragment.index('class="counts"'))]
    assert 'hx-swap-oob="true"' in figures and "whose=mine" not in figures
    assert '/callbacks?when=overdue&amp;whose=all' in figures and "/callbacks/figures?whose=all" in figures


def test_the_outcome_form_swaps_its_row_with_htmx(app, staff, as_user):
    call = make_calls(app, staff, day=date.today() - timedelta(days=2))["delivery_7d"]
    client = as_user("clerk")
    response = post(client, f"/callbacks/{call.id}/outcome", {f"call{call.id}-outcome": "wrong_number"}, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.lstrip().startswith("<li") and "号码错误" in body
    assert response.headers["HX-Trigger"] == "calls-changed"


def test_a_delivery_typed_in_schedules_its_calls_and_refuses_a_duplicate(as_user, staff):
    day = (date.today() - timedelta(days=1)).isoformat()
    data = {"customer_name": "张伟", "customer_phone": "138 1234 5678", "vehicle_model": "朗逸",
            "vin": "lsvab2180e2123456", "plate": "沪A12345", "delivered_on": day, "consultant": str(staff["front"].id)}
    client = as_user("front")
    assert post(client, "/callbacks/deliveries/new", data).status_code == 303
    assert Call.select().count() == 3 and Delivery.get().consultant_name == staff["front"].display_name
    again = post(client, "/callbacks/deliveries/new", data)
    assert again.status_code == 422 and "已经登记过了" in again.get_data(as_text=True)
    bad = post(client, "/callbacks/visits/new", {"repair_order": "", "customer_name": "李娜",
                                                 "customer_phone": "1", "handed_back_on": "2099-01-01"})
    assert bad.status_code == 422 and ServiceVisit.select().count() == 0
    assert User.select().count()


def test_every_row_of_the_queue_records_its_own_call(app, staff, as_user):
    """The rows share one blank form written once for the page: each must still carry its own
    call's field names, and a form sent back with an error keeps what was typed in its row only."""
    calls = make_calls(app, staff, day=date.today() - timedelta(days=40))
    client = as_user("clerk")
    page = client.get("/callbacks?when=overdue").get_data(as_text=True)
    shown = [c for c in calls.values() if f'id="call-{c.id}"' in page]
    assert len(shown) >= 2
    for call in shown:
        row = page[page.index(f'id="call-{call.id}"'):]
        row = row[:row.index("</li>\n")] if "</li>\n" in row else row
        assert row.count(f'name="call{call.id}-outcome"') >= 4 and f'id="call{call.id}-comment"' in row
        assert f'for="call{call.id}-outcome-0"' in row and "\x00" not in row
    first = shown[0]
    refused = post(client, f"/callbacks/{first.id}/outcome", {f"call{first.id}-outcome": "satisfied",
                                                              f"call{first.id}-comment": "很满意"}, htmx=True)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "很满意" in body and f'name="call{first.id}-score"' in body


def test_without_script_a_recorded_call_goes_back_to_the_queue_as_filtered(app, staff, as_user):
    """The row's form carries the filtered queue's address; a plain post returns there, and
    only to a path on this site."""
    calls = make_calls(app, staff)
    client = as_user("clerk")
    page = client.get("/callbacks?kind=delivery_7d&whose=all").get_data(as_text=True)
    first, second = calls["delivery_7d"], calls["delivery_25d"]
    assert f'name="call{first.id}-next" value="/callbacks?kind=delivery_7d&amp;whose=all"' in page
    back = outcome(client, first, outcome="satisfied", score="5", next="/callbacks?kind=delivery_7d&whose=all")
    assert back.status_code == 303 and back.headers["Location"].endswith("/callbacks?kind=delivery_7d&whose=all")
    elsewhere = outcome(client, second, outcome="satisfied", score="5", next="//evil.example/callbacks")
    assert elsewhere.status_code == 303 and elsewhere.headers["Location"].endswith("/callbacks")

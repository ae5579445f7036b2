"""The complaint page: its actions as htmx and plain posts, conflicts, permissions, print."""
from datetime import timedelta
from decimal import Decimal

import pytest
from helpers import NOW, post, sqlite_only
from helpers import action_payload as payload
from helpers import action_url as url

import workflow
from models import Complaint, Event


def fresh(c):
    return Complaint.get_by_id(c.id)



def test_page_shows_everything_and_the_timeline(as_user, make_complaint):
    c = make_complaint(by="front")
    page = as_user("service_mgr").get(f"/complaints/{c.number}").get_data(as_text=True)
    assert c.number in page and "张伟" in page and "LSVAB2180E2123456" in page
    assert 'id="action-contact"' in page and 'class="events"' in page


def test_page_as_fragment_is_the_complaint_alone(as_user, make_complaint):
    c = make_complaint()
    body = as_user("care").get(f"/complaints/{c.number}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert body.lstrip().startswith("<article") and "<html" not in body


def test_log_contact_with_htmx_swaps_the_complaint_and_moves_it_on(as_user, make_complaint):
    c = make_complaint()
    client = as_user("service_mgr")
    response = post(client, url(c, "contact"), payload("contact", c, method="phone", summary="已致电"), htmx=True)
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#complaint"
    assert response.headers["HX-Trigger"] == "complaint-changed"
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<article id="complaint"') and "已致电" in body
    assert fresh(c).status == "in_progress"


def test_log_contact_as_plain_post_redirects(as_user, make_complaint):
    c = make_complaint()
    data = payload("contact", c, method="visit", summary="到店面谈")
    response = post(as_user("service_mgr"), url(c, "contact"), data)
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/complaints/{c.number}")
    assert Event.select().where(Event.kind == "contact").get().text == "到店面谈"


def test_bad_input_comes_back_beside_the_field(as_user, make_complaint):
    c = make_complaint()
    client = as_user("service_mgr")
    response = post(client, url(c, "contact"), payload("contact", c, method="phone", summary=""), htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert body.lstrip().startswith('<form id="action-contact"') and 'id="contact-summary-error"' in body
    assert fresh(c).status == "registered"
    plain = post(client, url(c, "contact"), payload("contact", c, method="phone", summary="x" * 2001))
    assert plain.status_code == 422 and "<html" in plain.get_data(as_text=True)
    assert 'id="contact-summary-error"' in plain.get_data(as_text=True)


def test_only_the_next_step_comes_with_the_page_the_other_forms_when_opened(as_user, make_complaint):
    """The folded actions' forms are fetched when opened (htmx), carrying the version the page
    was read at: a note typed into a page someone changed meanwhile is refused, as before."""
    c = make_complaint()
    client = as_user("service_mgr")
    page = client.get(f"/complaints/{c.number}").get_data(as_text=True)
    assert 'name="assign-handler"' in page  # the next step (nobody handles it yet), ready to fill in
    assert 'id="action-note"' in page and 'name="note-text"' not in page  # folded, not yet fetched
    assert 'id="action-contact"' in page and 'name="contact-summary"' not in page
    read_at = fresh(c).version
    assert f"/complaints/{c.number}/act/note?version={read_at}" in page
    workflow.perform("note", c.id, read_at, fresh(c).registered_by, NOW, text="someone else's")
    fold = client.get(url(c, "note") + f"?version={read_at}", headers={"HX-Request": "true"})
    body = fold.get_data(as_text=True)
    assert fold.status_code == 200 and body.lstrip().startswith('<form id="action-note"') and "<html" not in body
    assert f'name="note-version" type="hidden" value="{read_at}"' in body
    data = {"note-text": "mine", "note-version": str(read_at)}
    refused = post(client, url(c, "note"), data, htmx=True)
    assert refused.status_code == 409
    assert [e.text for e in Event.select().where(Event.kind == "note")] == ["someone else's"]


def test_a_folded_form_without_script_opens_on_the_page(as_user, make_complaint):
    c = make_complaint()
    page = as_user("service_mgr").get(url(c, "note")).get_data(as_text=True)
    assert "<html" in page and 'name="note-text"' in page and 'name="assign-handler"' in page


def test_a_folded_form_is_refused_to_whom_the_action_is_not_open(as_user, make_complaint):
    c = make_complaint(by="front")
    assert as_user("front").get(url(c, "assign"), headers={"HX-Request": "true"}).status_code == 403
    assert as_user("care").get(url(c, "no_such_action")).status_code == 404
    theirs = make_complaint(by="advisor")
    assert as_user("front2").get(url(theirs, "note")).status_code == 404  # not one they may see


def _followed_up(c, times):
    for i in range(1, times + 1):
        Event.create(complaint=c.id, at=NOW + timedelta(hours=i), kind="note", text=f"follow-up {i:03d}")


def test_a_long_timeline_shows_its_latest_entries_and_the_earlier_ones_on_demand(as_user, make_complaint):
    c = make_complaint()
    _followed_up(c, 60)
    everything = Event.select().where(Event.complaint == c.id).count()
    client = as_user("care")
    page = client.get(f"/complaints/{c.number}").get_data(as_text=True)
    assert "follow-up 060" in page and "follow-up 011" in page and "follow-up 010" not in page
    assert page.index("follow-up 011") < page.index("follow-up 060")  # oldest first, as before
    assert f"显示更早的 {everything - 50} 条记录" in page  # "Show the 11 earlier entries"
    whole = client.get(f"/complaints/{c.number}/timeline", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert whole.lstrip().startswith('<div id="timeline-entries">') and "<html" not in whole
    assert whole.count('<li class="event ') == everything and "显示更早" not in whole
    assert whole.index("follow-up 001") < whole.index("follow-up 060")
    plain = client.get(f"/complaints/{c.number}/timeline")  # without script: the page, whole
    assert plain.status_code == 302 and plain.location.endswith(f"/complaints/{c.number}?timeline=all#timeline")
    assert "follow-up 001" in client.get(plain.location).get_data(as_text=True)


def test_a_short_timeline_is_shown_whole(as_user, make_complaint):
    c = make_complaint()
    _followed_up(c, 3)
    page = as_user("care").get(f"/complaints/{c.number}").get_data(as_text=True)
    assert "follow-up 001" in page and "显示更早" not in page


def test_the_whole_timeline_is_refused_to_whom_the_complaint_is_hidden(as_user, make_complaint):
    theirs = make_complaint(by="advisor")
    _followed_up(theirs, 60)
    response = as_user("front2").get(f"/complaints/{theirs.number}/timeline", headers={"HX-Request": "true"})
    assert response.status_code == 404 and "follow-up" not in response.get_data(as_text=True)


def test_illegal_transition_is_refused_with_a_message(as_user, make_complaint):
    c = make_complaint()
    client = as_user("care")
    response = post(client, url(c, "resolve"), payload("resolve", c, result="done"), htmx=True)
    assert response.status_code == 422 and "form-error" in response.get_data(as_text=True)
    assert fresh(c).status == "registered"


def test_second_save_of_the_same_version_gets_a_conflict(as_user, make_complaint, staff):
    c = make_complaint()
    stale = payload("note", c, text="mine")
    workflow.perform("note", c.id, c.version, staff["care"], NOW, text="theirs")
    response = post(as_user("service_mgr"), url(c, "note"), stale, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert staff["care"].display_name in body and "mine" in body  # typed text kept
    assert [e.text for e in Event.select().where(Event.kind == "note")] == ["theirs"]


def test_edit_with_a_stale_version_overwrites_nothing(as_user, make_complaint, staff):
    c = make_complaint()
    client = as_user("service_mgr")
    page = client.get(f"/complaints/{c.number}/edit").get_data(as_text=True)
    assert 'value="张伟"' in page
    workflow.perform("note", c.id, c.version, staff["care"], NOW, text="meanwhile")
    form = {"channel": "phone", "business_line": "after_sales", "customer_name": "张伟伟",
            "customer_phone": "13812345678", "category": "repair_quality", "demand": "free_repair",
            "severity": "general", "description": "改过的描述", "version": str(c.version)}
    response = post(client, f"/complaints/{c.number}/edit", form)
    assert response.status_code == 409 and "改过的描述" in response.get_data(as_text=True)
    assert fresh(c).customer_name == "张伟"
    form["version"] = str(fresh(c).version)
    assert post(client, f"/complaints/{c.number}/edit", form).status_code == 303
    assert fresh(c).customer_name == "张伟伟"
    change = Event.select().where(Event.kind == "edit").get().payload["changes"]
    assert change["customer_name"] == ["张伟", "张伟伟"]


def test_assign_offers_no_way_to_the_person_involved(as_user, make_complaint, staff):
    c = make_complaint(person_involved=staff["advisor"])
    client = as_user("service_mgr")
    response = post(client, url(c, "assign"), payload("assign", c, department=str(c.department_id),
                                                      handler=str(staff["advisor"].id)), htmx=True)
    assert response.status_code == 422 and fresh(c).handler_id is None


def test_walk_to_awaiting_callback_and_close_through_the_page(as_user, make_complaint, staff):
    c = make_complaint()
    mgr = as_user("service_mgr")
    steps = [
        ("assign", {"department": str(c.department_id), "handler": str(staff["service_mgr"].id)}),
        ("contact", {"method": "phone", "summary": "致电客户"}),
        ("findings", {"verified_facts": "属实", "cause_class": "after_sales_service", "cause": "漏检",
                      "handling_method": "返修"}),
        ("solution", {"solution": "免费更换", "acceptance": "accepted", "confirmed_in_writing": "y"}),
        ("compensate", {"kind": "free_parts", "amount": "350.50", "description": "刹车片"}),
        ("resolve", {"result": "已修复"}),
    ]
    for action, fields in steps:
        response = post(mgr, url(c, action), payload(action, c, **fields), htmx=True)
        assert response.status_code == 200, (action, response.get_data(as_text=True)[:2000])
    assert fresh(c).status == "awaiting_callback"
    assert fresh(c).compensation_cost == Decimal("350.50")
    care = as_user("care")
    post(care, url(c, "callback"), payload("callback", c, outcome="satisfied", notes="满意"), htmx=True)
    assert fresh(c).status == "closed"
    kinds = [e.kind for e in Event.timeline(c)]
    assert kinds == ["registered", "assign", "contact", "findings", "solution", "compensate", "resolve",
                     "callback"]


def test_rejected_solution_needs_the_recourse_told(as_user, make_complaint, staff):
    c = make_complaint()
    workflow.perform("contact", c.id, c.version, staff["care"], NOW, method="phone", summary="x")
    client = as_user("care")
    data = payload("solution", c, solution="退一半工时费", acceptance="rejected")
    response = post(client, url(c, "solution"), data, htmx=True)
    assert response.status_code == 422 and 'id="solution-recourse_told-error"' in response.get_data(as_text=True)
    data["solution-recourse_told"] = ["manufacturer_hotline", "consumer_12315"]
    assert post(client, url(c, "solution"), data, htmx=True).status_code == 200
    assert fresh(c).recourse_list == ["manufacturer_hotline", "consumer_12315"]
    assert fresh(c).status == "in_progress"


# (role, action) -> allowed, for an after-sales complaint registered by "advisor".
MATRIX = {
    "front": {"view": False},
    "advisor": {"view": True, "note": True, "contact": False, "assign": False, "close": False},
    "sales_mgr": {"view": False},
    "service_mgr": {"view": True, "note": True, "contact": True, "assign": True, "close": False},
    "care": {"view": True, "note": True, "contact": True, "assign": True, "close": True},
    "gm": {"view": True, "note": True, "contact": True, "assign": True, "close": True},
    "clerk": {"view": True, "note": True, "contact": False, "assign": False, "close": False},
    "admin": {"view": True, "note": True, "contact": False, "assign": False, "close": False},
}


@pytest.mark.parametrize("user", sorted(MATRIX))
def test_permissions_on_every_route(as_user, make_complaint, user):
    c = make_complaint(by="advisor")
    client = as_user(user)
    rights = MATRIX[user]
    seen = 200 if rights["view"] else 404
    for path in ("", "/print", "/edit"):
        response = client.get(f"/complaints/{c.number}{path}")
        expected = seen if path != "/edit" else (200 if rights.get("assign") else (403 if rights["view"] else 404))
        assert response.status_code == expected, (path, response.status_code)
    fragment = client.get(f"/complaints/{c.number}", headers={"HX-Request": "true"})
    assert fragment.status_code == seen
    for action in ("note", "contact", "assign", "close"):
        fields = {"note": {"text": "t"}, "contact": {"method": "phone", "summary": "s"},
                  "assign": {"department": str(c.department_id), "handler": ""}, "close": {"reason": "r"}}[action]
        response = post(client, url(c, action), payload(action, c, **fields), htmx=True)
        expected = (200 if rights.get(action) else 403) if rights["view"] else 404
        assert response.status_code == expected, (action, response.status_code)


def test_unknown_action_and_number_are_404(as_user, make_complaint):
    c = make_complaint()
    client = as_user("care")
    assert post(client, url(c, "explode"), {}).status_code == 404
    assert client.get("/complaints/TS-1999-9999").status_code == 404


def test_print_is_the_form_of_its_business_line(as_user, make_complaint):
    after = make_complaint(business_line="after_sales")
    sales = make_complaint(business_line="sales", category="price")
    client = as_user("care")
    after_page = client.get(f"/complaints/{after.number}/print").get_data(as_text=True)
    sales_page = client.get(f"/complaints/{sales.number}/print").get_data(as_text=True)
    assert "print.css" in after_page and after.number in after_page
    assert "class=\"signatures\"" in after_page
    assert after_page != sales_page


def test_the_printed_form_keeps_internal_notes_off_the_customers_paper(as_user, make_complaint, staff):
    c = make_complaint()
    workflow.perform("note", c.id, c.version, staff["care"], NOW, text="客户脾气急，先找经理")
    client = as_user("care")
    printed = client.get(f"/complaints/{c.number}/print").get_data(as_text=True)
    assert "客户脾气急" not in printed and "登记" in printed
    assert "客户脾气急" in client.get(f"/complaints/{c.number}").get_data(as_text=True)  # still on the page
    assert "客户总监" in printed.split('class="signatures"')[1]  # the care manager signs too


def test_the_dealership_on_the_form_is_set_by_the_administrator(app, as_user, make_complaint):
    c = make_complaint()
    app.config["DEALERSHIP_NAME"] = "环境变量名"
    printed = as_user("care").get(f"/complaints/{c.number}/print").get_data(as_text=True)
    assert "环境变量名" in printed and "本公司" not in printed  # the environment's name, until one is saved
    admin = as_user("admin")
    bad = post(admin, "/admin/dealership", {"name": "", "address": "上海市嘉定区安亭镇 1 号", "phone": "021-1234"})
    assert bad.status_code == 422 and "上海市嘉定区安亭镇 1 号" in bad.get_data(as_text=True)
    post(admin, "/admin/dealership", {"name": "上海安亭汽车销售服务有限公司", "address": "安亭镇 1 号",
                                      "phone": "021-1234"})
    printed = as_user("care").get(f"/complaints/{c.number}/print").get_data(as_text=True)
    assert "上海安亭汽车销售服务有限公司" in printed and "安亭镇 1 号" in printed and "021-1234" in printed


def test_a_reopened_complaint_prints_no_old_completion_time(as_user, make_complaint, staff):
    c = make_complaint()
    mgr = staff["service_mgr"]
    for action, data in [("contact", {"method": "phone", "summary": "x"}),
                         ("findings", {"fields": {"verified_facts": "属实", "cause_class": "after_sales_service",
                                                  "cause": "漏检", "handling_method": "返修", "root_cause": ""}}),
                         ("resolve", {"result": "ok"})]:
        fresh_c = fresh(c)
        workflow.perform(action, c.id, fresh_c.version, mgr, NOW, **data)
    assert fresh(c).resolved_at == NOW
    workflow.perform("callback", c.id, fresh(c).version, staff["care"], NOW, outcome="unhappy", notes="还响")
    assert fresh(c).resolved_at is None


@sqlite_only  # a workaround for SQLite's planner
def test_a_complaints_repeats_are_found_by_their_index_not_by_reading_the_register(make_complaint):
    """Most complaints repeat nothing: the statistics then make the foreign-key index look useless,
    and without the partial index SQLite read the whole register in received order (36 ms a page
    at 100,000 complaints)."""
    from models import db, refresh_statistics
    first = make_complaint()
    for i in range(30):
        make_complaint(customer_phone=f"1390000{i:04d}", vin="")
    refresh_statistics()
    query = Complaint.select().where(Complaint.repeat_of == first).order_by(Complaint.received_at)
    sql, params = query.sql()
    plan = " ".join(str(row) for row in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall())
    assert "complaint_repeats" in plan, plan


@sqlite_only  # a workaround for SQLite's planner, as above
def test_the_call_a_complaint_was_found_on_is_found_by_its_index_not_by_reading_every_call(make_complaint, staff):
    from models import Call, db, refresh_statistics, utcnow
    complaint = make_complaint()
    now = utcnow()
    Call.insert_many([{"kind": "service_3d", "owner_role": "callback_clerk", "customer_name": "客户",
                       "customer_phone": f"139{i:08d}", "opens_at": now, "due_at": now, "status": "open",
                       "comment": "", "attempts": 0, "next_level": ""} for i in range(40)]).execute()
    refresh_statistics()
    sql, params = Call.select().where(Call.complaint_found == complaint).limit(1).sql()
    plan = " ".join(str(row) for row in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall())
    assert "call_found_complaint" in plan, plan

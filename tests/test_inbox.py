"""The inbox: filters, search, fragments, paging and its cost."""
from datetime import timedelta

from helpers import NOW

import workflow
from models import Complaint


def numbers_in(page, complaints):
    return [c.number for c in complaints if c.number in page]


def test_open_complaints_oldest_first(as_user, make_complaint):
    newer = make_complaint(now=NOW)
    older = make_complaint(now=NOW - timedelta(days=2))
    page = as_user("care").get("/inbox").get_data(as_text=True)
    assert page.index(older.number) < page.index(newer.number)


def test_closed_complaints_leave_the_default_view(as_user, make_complaint, staff):
    closed = make_complaint()
    workflow.perform("close", closed.id, closed.version, staff["care"], NOW, reason="撤诉")
    open_one = make_complaint()
    client = as_user("care")
    assert numbers_in(client.get("/inbox").get_data(as_text=True), [closed, open_one]) == [open_one.number]
    page = client.get("/inbox?status=closed").get_data(as_text=True)
    assert numbers_in(page, [closed, open_one]) == [closed.number]


def test_filters_by_category_severity_channel_department(as_user, make_complaint):
    price = make_complaint(category="price", channel="walk_in")
    fire = make_complaint(category="product_quality", major_facts=["fire"])
    client = as_user("care")
    both = [price, fire]
    assert numbers_in(client.get("/inbox?category=price").get_data(as_text=True), both) == [price.number]
    assert numbers_in(client.get("/inbox?severity=major").get_data(as_text=True), both) == [fire.number]
    assert numbers_in(client.get("/inbox?channel=walk_in").get_data(as_text=True), both) == [price.number]
    dept = fire.department_id
    assert numbers_in(client.get(f"/inbox?department={dept}").get_data(as_text=True), both) == [fire.number]


def test_mine_and_handler_filters(as_user, make_complaint, staff):
    a = make_complaint(category="price")
    b = make_complaint(category="price")
    workflow.perform("assign", a.id, a.version, staff["sales_mgr"], NOW,
                     department=a.department, handler=staff["sales_mgr"])
    client = as_user("sales_mgr")
    assert numbers_in(client.get("/inbox?mine=y").get_data(as_text=True), [a, b]) == [a.number]
    page = client.get(f"/inbox?handler={staff['sales_mgr'].id}").get_data(as_text=True)
    assert numbers_in(page, [a, b]) == [a.number]


def test_search_by_number_name_phone_plate_vin(as_user, make_complaint):
    a = make_complaint(customer_name="欧阳娜", customer_phone="13911112222", plate="苏E88888",
                       vin="LFV2A21K0A3000001")
    b = make_complaint(customer_name="李雷", customer_phone="13700000000", plate="沪B12345",
                       vin="LSVCC6A40CN000002")
    client = as_user("care")
    for q in (a.number, "欧阳", "1391111", "苏e888", "lfv2a21", "TS-2026-0001"):
        assert numbers_in(client.get("/inbox", query_string={"q": q}).get_data(as_text=True), [a, b]) == [a.number], q
    assert numbers_in(client.get("/inbox?q=nobody").get_data(as_text=True), [a, b]) == []


def test_filter_request_from_htmx_gets_only_the_table(as_user, make_complaint):
    make_complaint()
    client = as_user("care")
    fragment = client.get("/inbox?status=open", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<table" in body and "<html" not in body and "<form" not in body
    assert "HX-Request" in fragment.headers["Vary"]
    boosted = client.get("/inbox", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)
    restore = client.get("/inbox?status=open", headers={"HX-Request": "true",
                                                        "HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True)


def test_the_filter_form_pushes_its_url_and_works_without_javascript(as_user):
    page = as_user("care").get("/inbox").get_data(as_text=True)
    assert 'method="get" action="/inbox"' in page and 'hx-push-url="true"' in page


def test_paging(app, as_user, make_complaint):
    app.config["PAGE_SIZE"] = 3
    made = [make_complaint(now=NOW + timedelta(minutes=i)) for i in range(7)]
    client = as_user("care")
    first = client.get("/inbox").get_data(as_text=True)
    assert numbers_in(first, made) == [c.number for c in made[:3]]
    assert "page=2" in first and "page=0" not in first
    third = client.get("/inbox?page=3").get_data(as_text=True)
    assert numbers_in(third, made) == [made[6].number] and "page=4" not in third
    assert client.get("/inbox?page=abc").status_code == 200


def test_bad_filter_values_are_ignored_not_errors(as_user, make_complaint):
    make_complaint()
    client = as_user("care")
    for query in ("status=nonsense", "department=abc", "handler=99999", "severity=<script>"):
        response = client.get("/inbox?" + query)
        assert response.status_code == 200 and "<script>" not in response.get_data(as_text=True)


def test_front_line_staff_see_only_what_they_registered(as_user, make_complaint):
    mine = make_complaint(by="front")
    other = make_complaint(by="front2")
    page = as_user("front").get("/inbox").get_data(as_text=True)
    assert numbers_in(page, [mine, other]) == [mine.number]


def test_query_count_does_not_grow_with_rows(app, as_user, make_complaint, staff, count_queries):
    client = as_user("care")
    make_complaint()
    with count_queries() as few:
        client.get("/inbox")
    for _ in range(20):
        c = make_complaint()
        workflow.perform("assign", c.id, c.version, staff["care"], NOW,
                         department=c.department, handler=staff["service_mgr"])
    with count_queries() as many:
        page = client.get("/inbox").get_data(as_text=True)
    assert page.count("/complaints/TS-") == 21
    assert len(many.queries) == len(few.queries)
    assert Complaint.select().count() == 21

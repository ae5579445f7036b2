"""Registering a complaint through the form (DOMAIN.md §3, §4)."""
import pytest
from helpers import post

from models import Complaint, Event, User

GOOD = {
    "channel": "phone", "business_line": "after_sales", "customer_name": "王芳",
    "customer_phone": "138 1234 5678", "vin": "lsvab2180e2123456", "plate": "沪a 12345",
    "vehicle_model": "帕萨特", "category": "product_quality", "demand": "free_repair",
    "severity": "general", "description": "发动机冷启动异响。",
}


def test_register_numbers_normalises_routes_and_records(as_user):
    client = as_user("front")
    response = post(client, "/complaints/new", GOOD)
    assert response.status_code == 303
    complaint = Complaint.get()
    assert response.headers["Location"].endswith(f"/complaints/{complaint.number}")
    assert complaint.number == f"TS-{complaint.received_at.year}-0001" or complaint.number.endswith("-0001")
    assert (complaint.customer_phone, complaint.vin, complaint.plate) == (
        "13812345678", "LSVAB2180E2123456", "沪A12345")
    assert complaint.department.code == "after_sales" and complaint.status == "registered"
    assert Event.get().kind == "registered"


def test_major_fact_ticked_makes_it_major(as_user):
    client = as_user("front")
    post(client, "/complaints/new", dict(GOOD, major_facts=["media_court"]))
    assert Complaint.get().severity == "major"


def test_it_shows_in_the_departments_inbox(as_user):
    post(as_user("front"), "/complaints/new", GOOD)
    number = Complaint.get().number
    assert number in as_user("service_mgr").get("/inbox").get_data(as_text=True)
    assert number not in as_user("sales_mgr").get("/inbox").get_data(as_text=True)


@pytest.mark.parametrize("field, value, message", [
    ("customer_phone", "12345", "mobile number"),
    ("vin", "LSVAB2180E212345O", "never contains the letters I, O or Q (to tell them from 1 and 0): check O"),
    ("vin", "LSVAB2180E21234", "17 letters and digits; you typed 15"),
    ("vin", "LSVAB2180E2123_5", "17 letters and digits; you typed 16"),
    ("vin", "LSVAB2180E2123_56", "only letters and digits"),
    ("plate", "AB12345", "沪A12345"),
    ("customer_name", "", "This field is required"),
    ("description", "x" * 5001, "5000"),
    ("channel", "carrier pigeon", "Not a valid choice"),
])
def test_bad_input_is_refused_beside_the_field_and_nothing_saved(as_user, staff, field, value, message):
    User.update(language="en").where(User.username == "front").execute()
    client = as_user("front")
    response = post(client, "/complaints/new", dict(GOOD, **{field: value}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    error = page.split(f'id="{field}-error">', 1)[1].split("</p>", 1)[0]
    assert message in error
    assert Complaint.select().count() == 0
    # What the user typed is still there.
    assert 'value="帕萨特"' in page and 'selected value="product_quality"' in page


def test_manufacturer_complaint_needs_its_ticket_number(as_user):
    client = as_user("front")
    response = post(client, "/complaints/new", dict(GOOD, channel="manufacturer"))
    assert response.status_code == 422 and 'id="external_ref-error"' in response.get_data(as_text=True)
    response = post(client, "/complaints/new", dict(GOOD, channel="manufacturer", external_ref="CRM12345678"))
    assert response.status_code == 303 and Complaint.get().external_ref == "CRM12345678"


def test_received_time_cannot_be_in_the_future(as_user):
    response = post(as_user("front"), "/complaints/new", dict(GOOD, received_at="2999-01-01T10:00"))
    assert response.status_code == 422 and 'id="received_at-error"' in response.get_data(as_text=True)


def test_received_time_typed_in_local_time_is_stored_in_utc(as_user):
    post(as_user("front"), "/complaints/new", dict(GOOD, received_at="2026-03-02T09:30"))
    assert Complaint.get().received_at.strftime("%Y-%m-%d %H:%M") == "2026-03-02 01:30"


def test_hostile_input_is_stored_as_typed_and_shown_inert(as_user):
    client = as_user("front")
    hostile = ("<script>alert(1)</script>' OR 1=1; DROP TABLE complaint;-- "
               "\u202eRTL\u202c 😡 𠜎 " + "长" * 4000)
    post(client, "/complaints/new", dict(GOOD, customer_name="<b>x</b>'--", description=hostile))
    complaint = Complaint.get()
    # Kept as typed, but for the invisible marks that reverse how a line reads.
    assert complaint.description == hostile.strip().replace("\u202e", "").replace("\u202c", "")
    page = client.get(f"/complaints/{complaint.number}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
    printed = client.get(f"/complaints/{complaint.number}/print").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in printed
    inbox = client.get("/inbox?q=" + "%3Cb%3E").get_data(as_text=True)
    assert "<b>x</b>" not in inbox


def test_earlier_complaints_of_the_same_customer_are_shown_while_typing(as_user, make_complaint):
    earlier = make_complaint(by="front", customer_phone="13900001111")
    other = make_complaint(by="advisor", vin="LFV3A23C0K3000001", customer_phone="13700000000")
    client = as_user("front")
    page = client.get("/complaints/similar?customer_phone=139 0000 1111&vin=",
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    assert earlier.number in page and "<html" not in page
    page = client.get("/complaints/similar?customer_phone=&vin=lfv3a23c0k3000001",
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    # Counted as a possible repeat, with nothing of a complaint front-line staff may not open.
    assert other.number not in page and "维修质量" not in page
    assert "有 1 次之前的投诉" in page and "客户总监" in page
    assert client.get("/complaints/similar?customer_phone=13811112222&vin=").get_data(as_text=True).strip() == ""


def test_the_repeat_warning_counts_what_the_user_may_not_open(as_user, make_complaint):
    mine = make_complaint(by="front", customer_phone="13900001111")
    for _ in range(2):
        make_complaint(by="advisor", customer_phone="13900001111", category="price")
    page = as_user("front").get("/complaints/similar?customer_phone=13900001111",
                                headers={"HX-Request": "true"}).get_data(as_text=True)
    assert mine.number in page and page.count("<li>") == 1
    assert "另有 2 次投诉您无权查看" in page and "价格" not in page
    everything = as_user("care").get("/complaints/similar?customer_phone=13900001111").get_data(as_text=True)
    assert everything.count("<li>") == 3


def test_the_intake_form_renders_as_a_page(as_user):
    page = as_user("front").get("/complaints/new").get_data(as_text=True)
    assert 'name="customer_phone"' in page and 'hx-get="/complaints/similar"' in page


def test_required_fields_are_marked_before_submitting(as_user):
    import re
    page = as_user("front").get("/complaints/new").get_data(as_text=True)
    assert "标有 * 的为必填项" in page
    marked = {name: "required" in classes for classes, name in
              re.findall(r'<div class="field([^"]*)">\s*<label for="([a-z_]+)"', page)}
    assert [marked[n] for n in ("customer_name", "customer_phone", "description", "category")] == [True] * 4
    assert [marked[n] for n in ("plate", "vin")] == [False, False]

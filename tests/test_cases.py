"""The case library (案例库): closed complaints kept with the lesson learned, searchable in Chinese,
without the customer's personal data."""
import pytest
from helpers import post, sqlite_only

import cases
from models import CaseStudy, Complaint, Event, utcnow

STORY = "客户张伟(电话13812345678,车牌沪A12345,VIN LSVAB2180E2123456)反映刹车异响,第二次返修仍未解决。张先生很不满。"


def closed(make_complaint, **fields):
    complaint = make_complaint(by="advisor", **fields)
    Complaint.update(status="closed", closed_at=utcnow(), cause="刹车片装配扭矩不足",
                     handling_method="更换刹车片并复检").where(Complaint.id == complaint.id).execute()
    return Complaint.get_by_id(complaint.id)


def make_case(client, complaint, title="刹车异响二次返修", story=STORY, lesson="装配后必须按扭矩复检刹车片",
              tags="刹车, 返修"):
    return post(client, f"/cases/new?complaint={complaint.number}",
                {"title": title, "story": story, "lesson": lesson, "tags": tags})


@pytest.fixture
def library(as_user, make_complaint, staff):
    """Three cases: brakes, a delivery delay, and an oil leak."""
    care = as_user("care")
    for description, title, lesson, category in [
            ("刹车异响", "刹车异响二次返修", "装配后必须按扭矩复检刹车片", "repair_quality"),
            ("交车延误", "新车交付延误三天", "交车日期确认前先核实车辆在途状态", "new_car_delivery"),
            ("发动机漏油", "发动机底壳漏油", "漏油检查要记录油位与照片", "product_quality")]:
        complaint = closed(make_complaint, description=description, category=category,
                           business_line="sales" if category == "new_car_delivery" else "after_sales")
        assert make_case(care, complaint, title=title, lesson=lesson, story=description + "。",
                         tags=description).status_code == 303
    return care


def titles(client, q):
    page = client.get("/cases", query_string={"q": q}).get_data(as_text=True)
    return {t for t in ("刹车异响二次返修", "新车交付延误三天", "发动机底壳漏油") if t in page}


def test_search_finds_chinese_words_of_two_three_and_six_characters(library):
    assert titles(library, "漏油") == {"发动机底壳漏油"}  # two characters: below a trigram, LIKE
    assert titles(library, "交付") == {"新车交付延误三天"}
    assert titles(library, "发动机") == {"发动机底壳漏油"}  # three: the trigram index
    assert titles(library, "按扭矩复检刹") == {"刹车异响二次返修"}  # six, inside a sentence of the lesson
    assert titles(library, "刹车 复检") == {"刹车异响二次返修"}  # every word must match
    assert titles(library, "刹车 漏油") == set()
    assert titles(library, "变速箱") == set()
    assert titles(library, "") == {"刹车异响二次返修", "新车交付延误三天", "发动机底壳漏油"}


def test_hostile_search_text_is_inert(library):
    for q in ['"', "漏油\" OR \"刹", "%", "_", "a' OR 1=1 --", "NEAR(刹车 漏油)", "<script>alert(1)</script>"]:
        response = library.get("/cases", query_string={"q": q})
        assert response.status_code == 200
        assert "<script>alert(1)" not in response.get_data(as_text=True)
    assert titles(library, "%") == set()  # a literal percent sign, not "anything"


def test_the_case_hides_the_customers_personal_data(as_user, make_complaint, staff):
    complaint = closed(make_complaint)
    care = as_user("care")
    draft = care.get(f"/cases/new?complaint={complaint.number}").get_data(as_text=True)
    assert "刹车异响" in draft  # the complaint's own words are the draft...
    response = make_case(care, complaint, title="张伟的刹车问题")
    assert response.status_code == 303
    case = CaseStudy.get()
    for client in (care, as_user("front")):  # anyone on the staff may read it
        page = client.get(f"/cases/{case.id}").get_data(as_text=True)
        assert "刹车异响" in page and "装配后必须按扭矩复检刹车片" in page
        for personal in ("张伟", "张先生", "13812345678", "沪A12345", "LSVAB2180E2123456"):
            assert personal not in page
    assert "张伟" not in case.title and "13812345678" not in case.story
    assert Event.get(Event.kind == "case_made").complaint_id == complaint.id


def test_the_scrub_takes_out_what_looks_like_personal_data_of_anyone():
    complaint = Complaint(customer_name="李娜", customer_phone="13900001111", vin="", plate="")
    text = cases.scrub("李女士说王先生的电话是 139-0000-2222,车牌京B·12345,VIN lfv2a21k5a3012345。", complaint)
    assert text == "***说王先生的电话是 ***,车牌***,VIN ***。"


def test_only_the_care_manager_and_general_manager_make_cases_and_only_of_closed_complaints(
        as_user, make_complaint, staff):
    complaint = closed(make_complaint)
    for user in ("front", "advisor", "service_mgr", "clerk", "admin"):
        client = as_user(user)
        assert client.get(f"/cases/new?complaint={complaint.number}").status_code in (403, 404)
        assert make_case(client, complaint).status_code in (403, 404)
    assert not CaseStudy.select().exists()
    open_one = make_complaint(by="advisor")
    care = as_user("care")
    assert care.get(f"/cases/new?complaint={open_one.number}").status_code == 403
    assert make_case(as_user("gm"), complaint).status_code == 303
    case = CaseStudy.get()
    assert as_user("front").get(f"/cases/{case.id}/edit").status_code == 403
    assert post(as_user("front"), f"/cases/{case.id}/edit",
                {"title": "x", "story": "y", "lesson": "z", "tags": "", "version": "1"}).status_code == 403
    assert CaseStudy.get().title == "刹车异响二次返修"
    assert as_user("front").get("/cases/999").status_code == 404


def test_bad_input_is_refused_beside_the_field_and_kept(as_user, make_complaint, staff):
    complaint = closed(make_complaint)
    care = as_user("care")
    response = make_case(care, complaint, title="", lesson="<b>x</b>", tags=",".join(f"t{i}" for i in range(12)))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "&lt;b&gt;x&lt;/b&gt;" in page  # what was typed is still there, inert
    assert "At most 10 tags." in page or "最多 10 个标签" in page
    assert not CaseStudy.select().exists()


def test_an_amended_case_is_found_by_its_new_words_and_a_stale_edit_is_refused(library):
    case = CaseStudy.get(CaseStudy.title == "发动机底壳漏油")
    form = {"title": "发动机底壳渗油", "story": "底壳渗油。", "lesson": "渗油与漏油分开记录", "tags": "渗油",
            "version": str(case.version)}
    assert post(library, f"/cases/{case.id}/edit", form).status_code == 303
    assert "发动机底壳渗油" in library.get("/cases", query_string={"q": "底壳渗"}).get_data(as_text=True)
    assert "发动机底壳渗油" not in library.get("/cases", query_string={"q": "底壳漏油"}).get_data(as_text=True)
    stale = post(library, f"/cases/{case.id}/edit", {**form, "title": "另一个标题"})
    assert stale.status_code == 409 and CaseStudy.get_by_id(case.id).title == "发动机底壳渗油"
    # Its complaint reopened: the case can still be amended.
    Complaint.update(status="in_progress").where(Complaint.id == case.complaint_id).execute()
    reopened = post(library, f"/cases/{case.id}/edit", {**form, "version": "2", "title": "底壳渗油(复发)"})
    assert reopened.status_code == 303


def test_cases_of_the_same_category_show_beside_a_new_complaint(library, as_user, make_complaint, staff):
    fresh = make_complaint(by="advisor", description="刹车有异响")
    page = as_user("advisor").get(f"/complaints/{fresh.number}").get_data(as_text=True)
    assert "刹车异响二次返修" in page and "装配后必须按扭矩复检刹车片" in page
    assert "发动机底壳漏油" not in page  # another category


@sqlite_only  # the FTS5 table; PostgreSQL searches the table itself
def test_the_search_index_is_rebuilt_from_the_table_on_upgrade(library, app):
    from models import db
    db.execute_sql(f"DROP TABLE {cases.FTS_TABLE}")
    cases.create_text_index(db.obj)
    assert titles(library, "按扭矩复检刹") == {"刹车异响二次返修"}

"""Bad and hostile input gets a clear 4xx in the user's language, never a 500, and saves nothing."""
from datetime import date, timedelta

import pytest
from helpers import NOW, PASSWORD, complaint_fields, post

import workflow
from deadlines.workdays import Calendar
from models import CalendarDay, Complaint, Event

HUGE = 10 ** 30


def form_of(**overrides):
    data = {k: v for k, v in complaint_fields().items() if v not in (None, [])}
    data.update(overrides)
    return data


@pytest.mark.parametrize("when", ["0001-01-01T00:00", "1900-01-01T09:00", "9999-12-31T23:59"])
def test_an_impossible_received_time_is_refused_beside_the_field(as_user, when):
    response = post(as_user("front"), "/complaints/new", form_of(received_at=when))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "受理时间" in page and 'id="received_at-error"' in page
    assert Complaint.select().count() == 0


@pytest.mark.parametrize("due", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_a_deadline_in_year_1_or_9999_is_refused(as_user, make_complaint, due):
    c = make_complaint()
    response = post(as_user("care"), f"/complaints/{c.number}/act/set_deadline",
                    {"set_deadline-due_at": due, "set_deadline-reason": "客户要求", "set_deadline-version": c.version})
    assert response.status_code == 422
    assert Event.select().where(Event.kind == "set_deadline").count() == 0


@pytest.mark.parametrize("version", ["abc", "", "1e9", "-1", str(HUGE)])
def test_an_action_with_a_garbled_version_is_refused(as_user, make_complaint, version):
    c = make_complaint()
    response = post(as_user("care"), f"/complaints/{c.number}/act/note", {"note-text": "x", "note-version": version})
    assert response.status_code in (409, 422)
    assert "刷新" in response.get_data(as_text=True)
    assert Event.select().where(Event.kind == "note").count() == 0


def test_a_new_password_with_no_current_one_is_refused_beside_the_field(as_user):
    response = post(as_user("front"), "/account", {"language": "zh_CN", "new_password": "another long password"})
    assert response.status_code == 422
    assert "修改密码须输入当前密码" in response.get_data(as_text=True)


@pytest.mark.parametrize("method,path", [
    ("post", f"/notifications/{HUGE}/open"), ("get", f"/admin/users/{HUGE}"),
    ("get", f"/admin/users/{HUGE}/password"), ("get", f"/admin/departments/{HUGE}"),
    ("post", f"/admin/rules/{HUGE}"),
])
def test_a_huge_number_in_a_path_is_not_found(as_user, method, path):
    client = as_user("admin")
    response = post(client, path, {}) if method == "post" else client.get(path)
    assert response.status_code == 404


def test_a_calendar_with_a_whole_year_off_does_not_break_deadlines(app, staff):
    for offset in range(500):
        CalendarDay.create(day=date(2026, 11, 1) + timedelta(days=offset), kind="holiday", name="停业")
    c = workflow.register(complaint_fields(category="parts_supply"), staff["front"], NOW)
    assert c.next_due_at is not None
    assert Calendar(holidays=frozenset(date(2026, 1, 1) + timedelta(days=d) for d in range(800))) \
        .add_working_days(NOW, 5) > NOW


def test_error_pages_are_in_the_users_language(as_user):
    english = as_user("front")
    from models import User
    User.update(language="en").where(User.username == "front").execute()
    page = english.get("/complaints/TS-2026-9999").get_data(as_text=True)
    assert "Not found" in page


def test_a_password_check_with_nothing_typed_is_simply_wrong(client, staff):
    import accounts
    assert accounts.authenticate("front", None) is None
    assert accounts.authenticate("front", PASSWORD)


def test_the_calendar_page_warns_of_a_stretch_with_no_working_day(as_user):
    from models import utcnow
    start = utcnow().date()
    for offset in range(60):
        CalendarDay.create(day=start + timedelta(days=offset), kind="holiday", name="停业")
    page = as_user("admin").get("/admin/calendar").get_data(as_text=True)
    assert "没有任何工作日" in page


def test_control_characters_never_reach_the_database(as_user, make_complaint):
    client = as_user("front")
    post(client, "/complaints/new", form_of(customer_name="张\x00伟\x07\u202e", description="第一行\r\n第二行\x00\t完"))
    c = Complaint.get()
    assert c.customer_name == "张伟" and c.description == "第一行\n第二行\t完"
    post(client, f"/complaints/{c.number}/act/note", {"note-text": "备注\x1b[31m", "note-version": c.version})
    assert Event.get(Event.kind == "note").text == "备注[31m"


def test_a_huge_post_is_refused_before_it_is_read(as_user):
    response = post(as_user("front"), "/complaints/new", form_of(description="长" * 7_000_000))
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "超过服务器允许的大小" in page and "长长长" not in page
    assert Complaint.select().count() == 0


def test_the_inbox_says_which_filters_it_ignored(as_user, make_complaint):
    make_complaint()
    client = as_user("care")
    page = client.get("/inbox?q=" + "x" * 61 + "&page=-1&severity=evil").get_data(as_text=True)
    assert page.count("已忽略") == 3
    fragment = client.get("/inbox?q=" + "x" * 61, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "已忽略" in fragment
    assert "已忽略" not in client.get("/inbox?q=张").get_data(as_text=True)


def test_wtforms_own_messages_are_in_chinese(as_user, make_complaint):
    c = make_complaint(category="parts_supply")
    client = as_user("service_mgr")
    post(client, f"/complaints/{c.number}/act/contact", {"contact-method": "phone", "contact-summary": "已联系",
                                                         "contact-version": c.version})
    c = Complaint.get_by_id(c.id)
    page = post(client, f"/complaints/{c.number}/act/parts", {
        "parts-stock": "out", "parts-lines-0-part_name": "刹车片", "parts-lines-0-quantity": "0",
        "parts-version": c.version}).get_data(as_text=True)
    assert "Number must be" not in page and "1 到 999" in page
    page = post(client, f"/complaints/{c.number}/act/contact", {"contact-method": "evil", "contact-summary": "x",
                                                                "contact-version": c.version}).get_data(as_text=True)
    assert "valid choice" not in page and "不是有效的选择" in page
    page = post(as_user("admin"), "/admin/users/new", {"username": "wang", "display_name": "王",
                                                        "roles": ["evil"]}).get_data(as_text=True)
    assert "valid choice" not in page and "请只从列表中选择" in page

"""The screens staff live in, in a real browser at a phone's 360x740, a desk's 1366x768
and a wall's 1920x1080: no page scrolls sideways, the header is one line, the inbox puts
a 2-hour complaint above weeks-old late ones, the wall has one row per late complaint,
the complaint page has one primary action, and an English page holds no Chinese.

The screenshots the README's first-day walk-through shows are taken here, into
docs/screenshots/, so they stay current."""
import os
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

import improvements
import workflow
from deadlines import calendar_days
from models import ClockRule, Complaint, Event, User, utcnow

SHOTS = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "screenshots")
PHONE, DESK, WALL = (360, 740), (1366, 768), (1920, 1080)
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")

CARE_PAGES = ["/inbox", "/inbox?due=overdue", "/overdue", "/notifications", "/callbacks", "/parts", "/reports",
              "/reports?quarter=2026-Q3", "/actions?show=all", "/actions/new?period=2026-10", "/cases",
              "/accountability", "/complaints/new", "/callbacks/deliveries/new", "/account"]
ADMIN_PAGES = ["/admin/guidance", "/admin/guidance/type.rude", "/admin/users", "/admin/users/new", "/admin/departments",
               "/admin/dealership", "/admin/rules", "/admin/calendar", "/admin/ladder", "/admin/process",
               "/admin/callbacks", "/admin/audit", "/callbacks/import"]


@pytest.fixture
def desk(app, make_complaint, staff):
    """A morning at the desk: three complaints weeks late (one major, two deadlines late each),
    one whose 2-hour first contact runs now, two with days to go; the sweep has told people.
    Deadlines count calendar hours here, so the picture does not depend on the time of day."""
    ClockRule.update(unit="hours").where(ClockRule.unit == "working_hours").execute()
    now = utcnow()
    calendar_days.load_official(now.year)  # as the app does at start
    late = [make_complaint(by="advisor", now=now - timedelta(days=21 - i), category=category,
                           customer_name=name, **extra)
            for i, (category, name, extra) in enumerate([
                ("product_quality", "欧阳娜娜", {"major_facts": ["fire"]}),
                ("repair_quality", "王建国", {}),
                ("sales_promise", "李雷", {})])]
    workflow.perform("assign", late[1].id, late[1].version, staff["service_mgr"], now - timedelta(days=15),
                     department=late[1].department, handler=staff["advisor"])
    urgent = make_complaint(by="advisor", now=now, category="product_quality", customer_name="张伟")
    calm = [make_complaint(by="front", now=now, category="price", customer_name=f"顾客{i}") for i in range(2)]
    workflow.perform("note", urgent.id, urgent.version, staff["care"], now, text="客户情绪激动，先由经理回电")
    action = improvements.create({"description": "每月校准扭矩扳手并留记录", "root_cause": "扭矩扳手未校准",
                                  "owner": staff["advisor"], "due_on": calendar_days.load_calendar().local_day(now)},
                                 staff["service_mgr"], now, calendar_days.load_calendar(), late[1])
    with app.app_context():
        workflow.sweep(now)
    return {"late": late, "urgent": urgent, "calm": calm, "action": action}


def shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, name + ".png"))


def sideways(page):
    """How many pixels the page scrolls sideways (0 when it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def visit_all(page, live_server, paths):
    too_wide = {}
    for path in paths:
        page.goto(live_server + path)
        if sideways(page) > 0:
            too_wide[path] = sideways(page)
        header = page.locator("header.topbar").bounding_box()
        if header["height"] > 64:
            too_wide[path + " header"] = header["height"]
    return too_wide


@pytest.mark.parametrize("size", [PHONE, DESK], ids=["phone", "desk"])
def test_no_page_scrolls_sideways_and_the_header_is_one_line(live_server, page, log_in, desk, staff_password,
                                                            size):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    log_in("care", staff_password)
    complaint = desk["late"][0].number
    problems = visit_all(page, live_server, CARE_PAGES + [f"/complaints/{complaint}",
                                                          f"/complaints/{complaint}/edit",
                                                          f"/actions/{desk['action'].id}"])
    page.click("header .me form button" if size == DESK else "details.menu summary")
    if size == PHONE:
        page.click("details.menu button.link")  # log out from the phone's menu
    log_in("admin", staff_password)
    problems.update(visit_all(page, live_server, ADMIN_PAGES))
    assert problems == {}


def test_the_inbox_puts_what_can_still_be_saved_above_what_is_late(live_server, page, log_in, desk,
                                                                   staff_password):
    log_in("care", staff_password)
    rows = page.locator("#inbox-rows tbody tr")
    expect(rows).to_have_count(6)
    expect(rows.nth(0)).to_contain_text(desk["urgent"].number)
    expect(rows.nth(0)).to_contain_text("首次响应")  # which deadline the time left is about
    for i, late in enumerate(desk["late"], start=1):
        expect(rows.nth(i)).to_contain_text(late.number)
    expect(page.locator(".now-counts")).to_contain_text("4 小时内到期")
    expect(page.locator("p.count")).to_contain_text("共 6 条投诉")
    shot(page, "inbox-desk")
    page.click("th a:has-text('受理时间')")  # sort by a header, through htmx
    expect(page).to_have_url(re.compile(r"sort=received"))
    expect(rows.nth(0)).to_contain_text(desk["late"][0].number)
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    page.goto(live_server + "/inbox")
    expect(page.locator("details.more-filters")).not_to_have_attribute("open", "")
    assert sideways(page) == 0
    shot(page, "inbox-phone")


def test_the_wall_shows_one_row_per_late_complaint(live_server, page, log_in, desk, staff_password):
    page.set_viewport_size({"width": WALL[0], "height": WALL[1]})
    log_in("gm", staff_password)
    page.goto(live_server + "/overdue")
    rows = page.locator("table.wall tbody tr")
    expect(rows).to_have_count(3)  # three complaints, five late deadlines between them
    expect(rows.nth(0)).to_contain_text(desk["late"][0].number)  # the major one first
    expect(rows.nth(0).locator(".late-clock")).to_have_count(2)
    expect(page.locator(".late-by")).to_contain_text("售后服务部")
    last = rows.nth(2).bounding_box()
    assert last["y"] + last["height"] <= WALL[1]  # the first screen says everything
    shot(page, "overdue-wall")
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    page.reload()
    assert sideways(page) == 0
    shot(page, "overdue-phone")


def test_the_complaint_page_shows_the_next_step_first(live_server, page, log_in, desk, staff_password):
    log_in("service_mgr", staff_password)
    page.goto(f"{live_server}/complaints/{desk['late'][1].number}")
    # Assigned, first contact running: logging the contact is the one primary action.
    expect(page.locator(".next-step h3")).to_have_text("记录联系客户")
    expect(page.locator(".next-step #action-contact")).to_be_visible()
    expect(page.locator(".more-actions")).not_to_have_attribute("open", "")
    shot(page, "complaint-desk")
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    page.reload()
    assert sideways(page) == 0
    shot(page, "complaint-phone")


def test_a_long_timeline_opens_its_earlier_entries_and_a_folded_action_its_form(live_server, page, log_in, desk,
                                                                                staff_password):
    """At a phone's width: the page shows the latest 50 entries, the link brings the rest in place
    (htmx, under the strict CSP), and a folded action fetches its form when opened."""
    complaint = desk["late"][1]
    start = utcnow() - timedelta(days=10)
    for i in range(60):
        Event.create(complaint=complaint.id, at=start + timedelta(hours=i), kind="note", text=f"跟进 {i + 1:03d}")
    everything = Event.select().where(Event.complaint == complaint.id).count()
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    log_in("service_mgr", staff_password)
    page.goto(f"{live_server}/complaints/{complaint.number}")
    expect(page.locator("ol.events > li")).to_have_count(50)
    page.click(f"text=显示更早的 {everything - 50} 条记录")
    expect(page.locator("ol.events > li")).to_have_count(everything)
    expect(page.locator(".timeline-earlier")).to_have_count(0)
    assert sideways(page) == 0
    page.click(".more-actions > summary")
    page.locator("details.action-box:has(#action-note) > summary").click()
    expect(page.locator("#action-note textarea")).to_be_visible()
    assert sideways(page) == 0


def test_the_bell_and_notifications(live_server, page, log_in, desk, staff_password):
    log_in("gm", staff_password)
    page.goto(live_server + "/notifications")
    expect(page.locator(".urgent-list li").first).to_contain_text("立即通知")
    unread = page.locator(".bell .count").inner_text()
    assert int(unread) == page.locator(".notifications li.unread").count()
    shot(page, "notifications")
    page.click("text=全部标为已读")
    expect(page.locator(".bell .count")).to_have_count(0)


def test_an_english_page_holds_no_chinese(live_server, page, log_in, desk, staff_password):
    User.update(language="en").where(User.username == "care").execute()
    # The customers' own names and words, and what staff wrote, are theirs: not the interface.
    theirs = {v for c in Complaint.select() for v in (c.customer_name, c.description, c.vehicle_model, c.plate)}
    theirs |= {e.text for e in Event.select() if e.text} | {"中文"}
    log_in("care", staff_password)
    for path in ["/inbox", "/overdue", "/notifications", "/cases", "/accountability",
                 f"/complaints/{desk['urgent'].number}",
                 f"/complaints/{desk['late'][0].number}"]:
        page.goto(live_server + path)
        text = page.locator("body").inner_text()
        for data in sorted(theirs, key=len, reverse=True):
            text = text.replace(data, "")
        assert CJK.findall(text) == [], path
    page.goto(live_server + "/inbox")
    shot(page, "inbox-english")

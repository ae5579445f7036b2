"""The case library in a browser: the customer-care manager turns a closed complaint into a
case and finds it again by a Chinese phrase; the case shows no personal data."""
import os
import re

from playwright.sync_api import expect

import cases
from models import Complaint, utcnow

SHOTS = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "screenshots")


def test_the_care_manager_makes_a_case_and_finds_it_by_a_chinese_phrase(live_server, page, log_in, make_complaint,
                                                                       staff, staff_password):
    complaint = make_complaint(by="advisor", description="张伟反映车辆怠速时方向盘抖动明显,已两次进店。")
    other = make_complaint(by="advisor", description="空调不制冷", customer_phone="13900000000", vin="")
    Complaint.update(status="closed", closed_at=utcnow(), cause="发动机脚垫老化",
                     handling_method="更换发动机脚垫").execute()
    cases.save(None, Complaint.get_by_id(other.id), {"title": "空调不制冷", "story": "空调不制冷。",
                                                     "lesson": "先查冷媒压力", "tags": []}, staff["care"], utcnow())
    log_in("care", staff_password)
    page.goto(f"{live_server}/complaints/{complaint.number}")
    page.click("text=加入案例库")
    expect(page.locator("h1")).to_have_text("加入案例库")
    expect(page.locator("#story")).to_contain_text("方向盘抖动")  # drafted from the complaint...
    assert "张伟" not in page.locator("#story").input_value()  # ...without the customer's name
    page.fill("#lesson", "怠速抖动先查发动机脚垫,再查点火系统")
    page.fill("#tags", "抖动, 脚垫")
    page.click("text=保存案例")
    expect(page.locator("h2", has_text="经验教训")).to_be_visible()
    page.click("header nav >> text=案例库")
    expect(page.locator("#case-results")).to_contain_text("空调不制冷")  # every case, newest first
    page.fill("#case-q", "先查发动机脚垫")
    page.press("#case-q", "Enter")
    expect(page).to_have_url(re.compile(r"/cases\?q="))
    expect(page.locator("#case-results")).not_to_contain_text("空调不制冷")
    expect(page.locator("#case-results")).to_contain_text("方向盘抖动")
    page.locator("#case-results a").first.click()
    expect(page.locator("body")).to_contain_text("怠速抖动先查发动机脚垫")
    for personal in ("张伟", "13812345678", "沪A12345", "LSVAB2180E2123456"):
        expect(page.locator("body")).not_to_contain_text(personal)
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, "case-library.png"), full_page=True)
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0

"""The monthly review in a browser: the GM opens last month, clicks a figure and lands on
the complaints behind it; the page fits a phone and its charts show."""
import os
import re
from datetime import time, timedelta

from playwright.sync_api import expect

from deadlines import calendar_days
from models import utcnow

SHOTS = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "screenshots")


def test_the_gm_opens_last_month_and_clicks_through_to_its_complaints(live_server, page, log_in, make_complaint,
                                                                     staff_password):
    calendar = calendar_days.load_calendar()
    today = calendar.local_day(utcnow())
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    received = calendar.at(first + timedelta(days=4), time(10, 0))
    price = [make_complaint(by="front", now=received + timedelta(hours=i), category="price",
                            customer_name=f"价格客户{i}") for i in range(3)]
    other = make_complaint(by="advisor", now=received, category="repair_quality", customer_name="维修客户")
    make_complaint(by="front", now=utcnow(), category="price", customer_name="本月客户")  # not last month's
    log_in("gm", staff_password)
    page.click("header nav >> text=月度分析")
    expect(page.locator("h1")).to_contain_text(first.isoformat())
    expect(page.locator("svg.trend rect")).to_have_count(12)
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, "monthly-review.png"), full_page=True)
    # By category: the price count opens the three price complaints of last month, no others.
    row = page.locator("section", has=page.locator("h2", has_text="按投诉类别")).locator("tr", has_text="价格")
    row.locator("a").first.click()
    expect(page).to_have_url(re.compile(r"/inbox\?.*category=price"))
    listed = page.locator("#inbox-rows tbody tr")
    expect(listed).to_have_count(3)
    for complaint in price:
        expect(page.locator("#inbox-rows")).to_contain_text(complaint.number)
    expect(page.locator("#inbox-rows")).not_to_contain_text(other.number)
    expect(page.locator("#inbox-rows")).not_to_contain_text("本月客户")
    # On a phone the page does not scroll sideways.
    page.set_viewport_size({"width": 360, "height": 740})
    page.go_back()
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0

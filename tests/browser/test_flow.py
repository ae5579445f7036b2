"""Staff at work in a real browser: log in, register, find, log a contact."""
import os
import re

from playwright.sync_api import expect

from models import Complaint

SHOTS = os.path.join(os.path.dirname(__file__), "..", "..", "test-artifacts")


def shot(page, name):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, name + ".png"), full_page=True)


def test_register_find_and_log_a_contact(live_server, page, log_in, staff_password):
    log_in("care", staff_password)
    page.click("a.primary-link")
    page.select_option("#channel", "phone")
    page.check("#business_line-1")  # after-sales
    page.fill("#customer_name", "欧阳娜")
    page.fill("#customer_phone", "139 1234 5678")
    page.fill("#plate", "沪a88x88")
    page.fill("#vin", "lsvab2180e2123456")
    page.select_option("#category", "repair_quality")
    page.select_option("#demand", "free_repair")
    page.fill("#description", "保养后刹车异响，第二次返修。")
    shot(page, "01-register")
    page.click("button.primary")
    expect(page.locator(".flash")).to_contain_text("已登记")
    number = Complaint.get().number
    expect(page.locator("h1")).to_contain_text(number)

    page.click("nav >> text=投诉列表")
    expect(page.locator("h1")).to_have_text("投诉列表")
    # A boosted navigation swaps the page in, then htmx wires it up: type after that.
    page.wait_for_function("() => document.querySelector('#filters')['htmx-internal-data'] !== undefined")
    page.fill("#q", "1391234")
    expect(page).to_have_url(re.compile(r"q=1391234"))
    expect(page.locator("#inbox-rows tbody tr")).to_have_count(1)
    expect(page.locator("#inbox-rows")).to_contain_text(number)
    shot(page, "02-inbox-search")

    page.click(f"text={number}")
    # Nobody handles it yet: assigning it is the one primary action; the rest are folded.
    expect(page.locator(".next-step h3")).to_have_text("分派")
    expect(page.locator("#action-contact")).to_be_hidden()
    page.click(".more-actions > summary")
    page.click("summary:has-text('记录联系客户')")
    page.fill("#contact-summary", "已致电客户，约明天到店检查。")
    page.click("#action-contact button.primary")
    expect(page.locator(".events")).to_contain_text("已致电客户，约明天到店检查。")
    expect(page.locator(".badges")).to_contain_text("处理中")
    shot(page, "03-contact-logged")
    assert Complaint.get().status == "in_progress"


def test_errors_show_beside_the_field_and_keep_what_was_typed(live_server, page, log_in, staff_password):
    log_in("front", staff_password)
    page.goto(live_server + "/complaints/new")
    page.fill("#customer_name", "李雷")
    page.fill("#customer_phone", "12345")
    page.fill("#description", "销售承诺的赠品没有兑现。")
    page.click("button.primary")
    expect(page.locator("#customer_phone-error")).to_be_visible()
    expect(page.locator("#customer_name")).to_have_value("李雷")
    expect(page.locator("#description")).to_have_value("销售承诺的赠品没有兑现。")
    shot(page, "04-register-errors")
    assert Complaint.select().count() == 0

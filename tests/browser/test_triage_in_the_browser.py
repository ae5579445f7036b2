"""Policy §4.1.2 in the browser: a service advisor registers a complaint, the care manager
verifies and dispatches it with its deadline, the service manager acknowledges receipt."""
import re

from playwright.sync_api import expect

import process
from models import Complaint


def log_out(page):
    page.click("text=退出")


def test_triage_dispatch_and_acknowledge(live_server, page, log_in, staff_password):
    process.save({"triage": True})

    log_in("advisor", staff_password)
    page.click("text=登记投诉")
    page.check("#business_line-1")  # after-sales
    page.fill("#customer_name", "钱多多")
    page.fill("#customer_phone", "13600001234")
    page.select_option("#category", "repair_quality")
    page.select_option("#demand", "free_repair")
    page.fill("#description", "更换刹车片后仍有异响。")
    page.click("button.primary")
    expect(page.locator(".badges")).to_contain_text("待核实下发")
    number = Complaint.get().number
    log_out(page)

    log_in("care", staff_password)
    expect(page.locator(".triage-note")).to_contain_text("1 条投诉等待您核实并下发")
    page.click(".triage-note a")
    expect(page).to_have_url(re.compile(r"status=to_dispatch"))
    page.click(f"text={number}")
    expect(page.locator(".next-step h3")).to_have_text("核实并下发")  # the next step, open already
    expect(page.locator("#dispatch-department")).to_have_value(re.compile(r"\d+"))  # prefilled by the category
    expect(page.locator("#dispatch-due_at")).not_to_have_value("")  # prefilled by the rule
    page.fill("#dispatch-verified_facts", "已电话核实：刹车片为副厂件，异响属实。")
    page.click("#action-dispatch button.primary")
    expect(page.locator(".badges")).to_contain_text("部门未签收")
    expect(page.locator(".events")).to_contain_text("已核实并下发")
    log_out(page)

    log_in("service_mgr", staff_password)
    expect(page.locator("#inbox-rows")).to_contain_text(number)
    expect(page.locator("#inbox-rows")).to_contain_text("部门未签收")
    page.click(f"text={number}")
    expect(page.locator(".next-step h3")).to_have_text("签收")
    page.click("#action-acknowledge button.primary")
    expect(page.locator(".events")).to_contain_text("部门已签收")
    expect(page.locator(".badges")).not_to_contain_text("部门未签收")
    complaint = Complaint.get()
    assert complaint.acknowledged_by.username == "service_mgr" and complaint.department.code == "after_sales"

"""The issue's walk-through as a new dealership would do it, in one browser:
the admin adds a handler and a front-line user; the front-line user registers a
complaint; the handler finds it in the department's inbox and handles it to
"awaiting callback"; it prints; the timeline shows every step, in both languages."""

import re

from playwright.sync_api import expect

from models import Complaint


def log_out(page):
    page.click("text=退出")


def add_user(page, username, name, role, department):
    page.click("nav.wide-only .dropdown summary")  # 系统管理: the administrator's screens
    page.click("nav.wide-only a[href='/admin/users']")
    page.click("text=添加用户")
    page.fill("#username", username)
    page.fill("#display_name", name)
    page.select_option("#department", label=department)
    page.check(f"input[name=roles][value={role}]")
    page.click("button.primary")
    return page.locator("#new-password").inner_text()


def first_login(page, live_server, username, given, own):
    """Log in with the password the administrator gave, then choose one's own."""
    page.goto(live_server + "/login")
    page.fill("#username", username)
    page.fill("#password", given)
    page.click("button.primary")
    expect(page).to_have_url(re.compile(r"/account$"))
    expect(page.locator(".warning")).to_contain_text("请先设置您自己的密码")
    page.fill("#current_password", given)
    page.fill("#new_password", own)
    page.click("button.primary")
    expect(page.locator(".flash")).to_contain_text("已保存")
    page.click("text=投诉列表")


def next_step(page, label):
    """The policy's next step is the page's one primary action, open already."""
    expect(page.locator(".next-step h3")).to_have_text(label)


def test_a_new_dealership_handles_its_first_complaint(live_server, page, log_in, staff, staff_password):
    log_in("admin", staff_password)
    handler_pw = add_user(page, "liu.service", "刘强", "department_manager", "售后服务部")
    front_pw = add_user(page, "zheng.sa", "郑浩", "front_line", "售后服务部")
    log_out(page)

    first_login(page, live_server, "zheng.sa", front_pw, "west lake morning tea")
    page.click("text=登记投诉")
    page.check("#business_line-1")
    page.fill("#customer_name", "周强")
    page.fill("#customer_phone", "15900001234")
    page.fill("#plate", "浙DL9PJV")
    page.select_option("#category", "parts_supply")
    page.select_option("#demand", "free_repair")
    page.fill("#description", "空调压缩机缺货，已等10天。")
    page.click("button.primary")
    expect(page.locator(".flash")).to_contain_text("已登记")
    number = Complaint.get().number
    expect(page.locator("h1")).to_contain_text(number)
    log_out(page)

    first_login(page, live_server, "liu.service", handler_pw, "spare parts arrive friday")
    expect(page.locator("#inbox-rows")).to_contain_text(number)
    page.click(f"text={number}")
    next_step(page, "分派")
    page.select_option("#assign-handler", label="刘强")
    page.click("#action-assign button.primary")
    expect(page.locator(".events")).to_contain_text("已分派")
    next_step(page, "记录联系客户")
    page.fill("#contact-summary", "致电客户致歉，配件预计三天到货。")
    page.click("#action-contact button.primary")
    expect(page.locator(".badges")).to_contain_text("处理中")
    next_step(page, "记录核实情况与原因")
    page.select_option("#findings-cause_class", "after_sales_service")
    page.fill("#findings-cause", "配件订货不及时。")
    page.fill("#findings-handling_method", "向区域配件中心申请调货。")
    page.click("#action-findings button.primary")
    expect(page.locator(".events")).to_contain_text("核实情况已记录")
    next_step(page, "记录解决方案")
    page.fill("#solution-solution", "调货更换压缩机，赠送一次保养。")
    page.check("#solution-acceptance-1")
    page.check("#solution-confirmed_in_writing")
    page.click("#action-solution button.primary")
    expect(page.locator(".events")).to_contain_text("解决方案已记录")
    # The gifted service is within the manager's authority: approved as it is added.
    page.click(".more-actions > summary")
    page.click("summary:has-text('添加补偿')")
    page.select_option("#compensate-kind", "gifted_service")
    page.fill("#compensate-amount", "300")
    page.fill("#compensate-description", "赠送一次保养")
    page.click("#action-compensate button.primary")
    expect(page.locator(".compensation")).to_contain_text("已批准")
    next_step(page, "标记为已处理")
    page.fill("#resolve-result", "压缩机已更换，客户确认空调正常。")
    page.click("#action-resolve button.primary")
    expect(page.locator(".badges")).to_contain_text("待回访")
    assert Complaint.get().status == "awaiting_callback"
    events = page.locator(".events > li")
    expect(events).to_have_count(7)

    page.goto(f"{live_server}/complaints/{number}/print")
    expect(page.locator("h1")).to_have_text("售后客户抱怨处理表")
    expect(page.locator(".track")).to_contain_text("已处理")

    page.goto(f"{live_server}/account")
    page.select_option("#language", "en")
    page.click("button.primary")
    expect(page.locator(".flash")).to_contain_text("Your settings are saved.")  # saved before we move on
    page.goto(f"{live_server}/complaints/{number}")
    expect(page.locator(".badges")).to_contain_text("Awaiting callback")
    expect(page.locator(".events")).to_contain_text("Contact with the customer")
    expect(page.locator(".events")).to_contain_text("Resolved")

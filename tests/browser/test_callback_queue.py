"""The callback clerk works through the day's calls: one satisfied, one not answering, one
with a complaint that goes straight into the register."""
import re
from datetime import date, timedelta

from playwright.sync_api import expect

from callbacks import schedule
from deadlines import calendar_days
from models import Call, Complaint, Delivery, utcnow


def deliveries(staff):
    day = date.today() - timedelta(days=1)
    records = [Delivery.create(customer_name=name, customer_phone=phone, vehicle_model="朗逸", vin=vin, plate="",
                               delivered_on=day, consultant=staff["front"], consultant_name="Front",
                               created_at=utcnow())
               for name, phone, vin in (("张伟", "13812345678", "LSVAB2180E2111111"),
                                        ("李娜", "13912345678", "LSVAB2180E2222222"),
                                        ("王芳", "13712345678", "LSVAB2180E2333333"))]
    schedule.create("delivery", records, calendar_days.load_calendar("Asia/Shanghai"), utcnow())
    return {r.customer_name: Call.get((Call.delivery == r) & (Call.kind == "delivery_7d")) for r in records}


def test_the_clerk_works_through_the_queue(live_server, page, log_in, staff, staff_password):
    calls = deliveries(staff)
    log_in("clerk", staff_password)
    page.click("nav >> text=回访")
    expect(page.locator(".calls > li")).to_have_count(3)
    expect(page.locator(".count")).to_contain_text("共 3 个回访")

    first = page.locator(f"#call-{calls['张伟'].id}")
    first.locator("summary", has_text="回访话术").click()
    expect(first.locator(".script")).to_contain_text("购车服务")
    first.locator("input[value=satisfied]").check()
    first.locator("select").select_option("5")
    first.locator("textarea").fill("很满意，销售顾问讲解很细。")
    first.locator("button.primary").click()
    expect(page.locator(f"#call-{calls['张伟'].id}")).to_contain_text("5 分")
    expect(page.locator(".counts")).to_contain_text("1")  # the figures follow

    second = page.locator(f"#call-{calls['李娜'].id}")
    second.locator("input[value=no_answer]").check()
    second.locator("button.primary").click()
    expect(page.locator(f"#call-{calls['李娜'].id}")).to_contain_text("已拨 1 次无人接听")

    third = page.locator(f"#call-{calls['王芳'].id}")
    third.locator("input[value=complaint]").check()
    third.locator("button.primary").click()
    expect(page).to_have_url(re.compile(rf"/complaints/new\?call={calls['王芳'].id}"))
    expect(page.locator("#customer_name")).to_have_value("王芳")
    page.check("#business_line-0")  # sales
    page.select_option("#category", "sales_promise")
    page.select_option("#demand", "apology")
    page.fill("#description", "交车时承诺的脚垫没有给。")
    page.click("button.primary")
    expect(page.locator(".flash")).to_contain_text("已登记")
    complaint = Complaint.get()
    assert complaint.channel == "callback" and complaint.person_involved.username == "front"
    assert Call.get_by_id(calls["王芳"].id).complaint_found == complaint

    page.goto(f"{live_server}/callbacks?when=done")
    expect(page.locator(".calls")).to_contain_text(complaint.number)
    expect(page.locator(".calls")).to_contain_text("5 分")


def test_the_figures_follow_the_whose_filter(live_server, page, log_in, staff, staff_password):
    deliveries(staff)  # the clerk's 7-day calls, and the consultant's own 3-day ones
    log_in("clerk", staff_password)
    page.goto(f"{live_server}/callbacks")
    overdue_card = page.locator("#call-figures .counts a").nth(2)
    expect(overdue_card).to_have_attribute("href", re.compile(r"whose=mine"))
    page.select_option("#whose", "all")
    expect(page).to_have_url(re.compile(r"whose=all"))
    expect(overdue_card).to_have_attribute("href", re.compile(r"whose=all"))
    expect(page.locator("#call-figures")).to_have_count(1)

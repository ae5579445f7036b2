"""The owner's wall screen picks up a newly late complaint with nobody clicking."""
from datetime import timedelta

from playwright.sync_api import expect

from models import utcnow


def test_the_overdue_board_refreshes_itself(app, live_server, page, log_in, make_complaint, staff_password):
    app.config["OVERDUE_REFRESH_SECONDS"] = 1
    log_in("gm", staff_password)
    page.goto(live_server + "/overdue")
    expect(page.locator(".empty")).to_be_visible()
    late = make_complaint(by="advisor", now=utcnow() - timedelta(days=3), category="product_quality")
    expect(page.locator("#overdue-board")).to_contain_text(late.number, timeout=10_000)
    expect(page.locator("#overdue-board")).to_contain_text("售后服务部")

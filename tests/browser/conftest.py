"""A real server in a thread and Debian's chromium driven by Playwright."""
import os
import re
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture
def live_server(app, staff):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def _unexpected(message):
    """Console errors other than the browser noting a refused form (422) or conflict (409)."""
    if message.type != "error":
        return False
    return not re.search(r"status of (422|409)", message.text)


@pytest.fixture
def page():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(10_000)
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if _unexpected(msg) else None)
        yield page
        browser.close()
    assert errors == [], errors  # no script errors, no CSP violations


@pytest.fixture
def log_in(live_server, page):
    """log_in(username, password): through the login page, landing on the inbox."""
    from playwright.sync_api import expect

    def _log_in(username, password):
        page.goto(live_server + "/login")
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("button.primary")
        expect(page).to_have_url(re.compile(r"/inbox$"))
    return _log_in

"""Logging in and out, sessions, CSRF and the security headers."""
import os
import subprocess
import sys
import threading
import time

from helpers import PASSWORD, csrf_token, login

import accounts
from models import User


def test_login_page_is_chinese_by_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert "登录" in page and 'lang="zh-CN"' in page


def test_login_and_logout(client, staff):
    response = login(client, "front")
    assert response.status_code == 303 and response.headers["Location"].endswith("/inbox")
    assert client.get("/inbox").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert client.get("/inbox").status_code == 302


def test_wrong_password_and_unknown_user_get_the_same_message(client, staff):
    wrong = login(client, "front", "not the password")
    unknown = login(client, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 422
    assert "用户名或密码错误" in wrong.get_data(as_text=True)
    assert "用户名或密码错误" in unknown.get_data(as_text=True)
    assert client.get("/inbox").status_code == 302


def test_session_is_renewed_at_login(client, staff):
    before = csrf_token(client)
    login(client, "front")
    assert csrf_token(client) != before


def test_disabled_user_cannot_log_in_and_is_logged_out(client, staff):
    login(client, "front")
    user = User.get(User.username == "front")
    user.active = False
    accounts.save_user(user, user.roles)
    assert client.get("/inbox").status_code == 302
    assert login(client, "front").status_code == 422


def test_password_reset_ends_other_sessions(app, client, staff):
    login(client, "front")
    user = User.get(User.username == "front")
    accounts.save_user(user, user.roles, "a brand new password")
    assert client.get("/inbox").status_code == 302


def test_passwords_are_stored_as_argon2(staff):
    assert User.get(User.username == "front").password_hash.startswith("$argon2id$")


class CountingHasher:
    """Stands in for argon2: records how many hashes run at the same moment."""

    def __init__(self, real):
        self.real, self.running, self.most = real, 0, 0
        self.guard = threading.Lock()

    def _run(self, work):
        with self.guard:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.05)
        try:
            return work()
        finally:
            with self.guard:
                self.running -= 1

    def hash(self, password):
        return self._run(lambda: self.real.hash(password))

    def verify(self, password_hash, password):
        return self._run(lambda: self.real.verify(password_hash, password))


def test_one_password_hash_at_a_time_per_process(monkeypatch):
    """Each argon2 hash holds its memory cost (64 MiB by default) while it runs: eight logins at
    once must not stack eight of them in one web process."""
    counting = CountingHasher(accounts.hasher)
    monkeypatch.setattr(accounts, "hasher", counting)
    stored = accounts.hash_password("a brand new password")
    results = []
    work = [lambda: results.append(accounts._verify(stored, "a brand new password"))] * 4
    work += [lambda: results.append(bool(accounts.hash_password("another password")))] * 4
    threads = [threading.Thread(target=job) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * 8
    assert counting.most == 1


def test_web_processes_do_not_load_what_only_rare_tasks_need(tmp_path):
    """The password checker's word lists (13 MB) and the spreadsheet writer (8 MB) load when a
    password is set or a report exported, not in every web process at start."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    script = ("import sys; from app import create_app; "
              f"create_app({{'DATABASE_URL': 'sqlite:///{tmp_path}/app.db', 'INSTANCE_PATH': '{tmp_path}', "
              "'SECRET_KEY': 'x', 'OFFICIAL_CALENDAR': False}); "
              "print(sorted(m for m in ('zxcvbn', 'openpyxl') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", script], cwd=here, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"


def test_post_without_csrf_token_is_refused(client, staff):
    response = client.post("/login", data={"username": "front", "password": PASSWORD})
    assert response.status_code == 400


def test_next_only_goes_to_this_site(client, staff):
    token = csrf_token(client)
    response = client.post("/login?next=//evil.example/x",
                           data={"username": "front", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"].endswith("/inbox")


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "HX-Request" in response.headers["Vary"]
    assert response.headers["Cache-Control"] == "no-store"


def test_language_can_be_switched_before_login(client):
    page = client.get("/login?lang=en").get_data(as_text=True)
    assert "Log in" in page and 'lang="en"' in page


def test_user_picks_their_language(client, staff):
    login(client, "front")
    token = csrf_token(client)
    response = client.post("/account", data={"language": "en", "csrf_token": token})
    assert response.status_code == 303
    assert "Inbox" in client.get("/inbox").get_data(as_text=True)
    assert User.get(User.username == "front").language == "en"


def test_change_own_password_needs_the_current_one(client, staff):
    login(client, "front")
    token = csrf_token(client)
    response = client.post("/account", data={"language": "zh_CN", "current_password": "wrong",
                                              "new_password": "another long password", "csrf_token": token})
    assert response.status_code == 422
    response = client.post("/account", data={"language": "zh_CN", "current_password": PASSWORD,
                                              "new_password": "another long password", "csrf_token": token})
    assert response.status_code == 303
    assert client.get("/inbox").status_code == 200  # this session lives on
    assert accounts.authenticate("front", "another long password")


def test_every_page_and_fragment_needs_a_login(client, make_complaint):
    c = make_complaint()
    for path in ("/inbox", "/complaints/new", f"/complaints/{c.number}", f"/complaints/{c.number}/print",
                 f"/complaints/{c.number}/edit", "/complaints/similar?customer_phone=13812345678",
                 "/account", "/admin/users", "/overdue", "/notifications", "/notifications/bell", "/parts",
                 "/admin/rules", "/admin/calendar"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
        fragment = client.get(path, headers={"HX-Request": "true"})
        assert fragment.get_data() == b"" and "/login" in fragment.headers["HX-Redirect"], path
    response = client.post(f"/complaints/{c.number}/act/note",
                           data={"note-text": "x", "csrf_token": csrf_token(client)})
    assert response.status_code == 302


HOSTILE_NEXT = [
    "/%09/evil.example/phish", "/%0a/x", "/%0d%0a/evil.example", "//evil.example/x", "///evil.example",
    "/\\evil.example", "\\\\evil.example", "/%5Cevil.example", "/%2F/evil.example", "%2F%2Fevil.example",
    "https://evil.example/", "http:/evil.example", " //evil.example", "/\t/evil.example",
    "javascript:alert(1)", "/%00/evil.example", "/%E2%80%AE/evil.example", "evil.example",
]


def browser_target(location, base="http://desk.local/login"):
    """Where a browser goes: it drops tabs and newlines and reads a backslash as a slash."""
    from urllib.parse import urljoin, urlsplit
    cleaned = location.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/").strip()
    return urlsplit(urljoin(base, cleaned))


def test_next_never_leaves_this_site_whatever_the_browser_makes_of_it(client, staff):
    from urllib.parse import quote
    for value in HOSTILE_NEXT:
        client.post("/logout", data={"csrf_token": csrf_token(client)})
        response = client.post(f"/login?next={value}",
                               data={"username": "front", "password": PASSWORD, "csrf_token": csrf_token(client)})
        assert response.status_code == 303, value
        target = browser_target(response.headers["Location"])
        assert target.scheme == "http" and target.netloc == "desk.local", (value, response.headers["Location"])
    # A path on this site is kept, query and all.
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    response = client.post("/login?next=" + quote("/inbox?status=closed&q=张"),
                           data={"username": "front", "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert browser_target(response.headers["Location"]).path == "/inbox"
    assert "status=closed" in response.headers["Location"]

"""Login sessions end on the server; failed logins are limited and logged."""
from datetime import timedelta

from helpers import PASSWORD, csrf_token, login

import views.auth
from app import create_app
from models import AuditEntry, LoginSession, User, utcnow


def logout(client):
    return client.post("/logout", data={"csrf_token": csrf_token(client)})


def test_a_cookie_copied_before_logout_opens_nothing_after_it(app, client, staff):
    login(client, "front")
    stolen = client.get_cookie("session").value
    logout(client)
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/inbox").status_code == 302
    assert LoginSession.get().ended_why == "logout"


def test_logging_out_ends_only_this_browser(app, staff):
    desk, phone = app.test_client(), app.test_client()
    login(desk, "front")
    login(phone, "front")
    logout(desk)
    assert desk.get("/inbox").status_code == 302
    assert phone.get("/inbox").status_code == 200


def test_a_session_unused_for_the_idle_limit_ends_and_the_login_page_says_why(client, staff):
    login(client, "front")
    LoginSession.update(last_seen_at=utcnow() - timedelta(hours=8, minutes=1)).execute()
    response = client.get("/inbox")
    assert response.status_code == 302
    assert "长时间未操作" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert LoginSession.get().ended_why == "idle"


def test_a_session_ends_at_the_absolute_limit_however_busy(client, staff):
    login(client, "front")
    LoginSession.update(created_at=utcnow() - timedelta(days=7, minutes=1)).execute()
    assert client.get("/inbox").status_code == 302
    assert LoginSession.get().ended_why == "expired"


def test_the_bell_polling_does_not_keep_a_forgotten_browser_logged_in(client, staff):
    login(client, "front")
    an_hour_ago = utcnow() - timedelta(hours=1)
    LoginSession.update(last_seen_at=an_hour_ago).execute()
    assert client.get("/notifications/bell", headers={"HX-Request": "true"}).status_code == 200
    assert LoginSession.get().last_seen_at == an_hour_ago
    client.get("/inbox")
    assert LoginSession.get().last_seen_at > an_hour_ago


def test_changing_my_password_ends_my_other_sessions_but_not_this_one(app, staff):
    desk, phone = app.test_client(), app.test_client()
    login(desk, "front")
    login(phone, "front")
    response = desk.post("/account", data={"language": "zh_CN", "current_password": PASSWORD,
                                           "new_password": "a brand new secret 42", "csrf_token": csrf_token(desk)})
    assert response.status_code == 303
    assert desk.get("/inbox").status_code == 200
    assert phone.get("/inbox").status_code == 302


def test_the_database_keeps_no_usable_token(client, staff):
    login(client, "front")
    token = client.get_cookie("session").value
    assert LoginSession.get().token_hash not in token


def wrong(client, username="front"):
    return login(client, username, "not the password")


def test_five_wrong_passwords_lock_the_name_even_for_the_right_one(client, staff, monkeypatch):
    for _ in range(5):
        assert wrong(client).status_code == 422
    locked = login(client, "front")
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.get_data(as_text=True)
    assert client.get("/inbox").status_code == 302
    later = utcnow() + timedelta(minutes=16)
    monkeypatch.setattr(views.auth, "utcnow", lambda: later)
    assert login(client, "front").status_code == 303


def test_an_unknown_name_is_locked_the_same_way(client, staff):
    answers = []
    for username in ("front", "nobody"):
        for _ in range(5):
            wrong(client, username)
        response = login(client, username)
        answers.append((response.status_code, "登录失败次数过多" in response.get_data(as_text=True)))
    assert answers == [(429, True), (429, True)]


def test_a_successful_login_clears_the_count_for_the_name(client, staff):
    for _ in range(4):
        wrong(client)
    assert login(client, "front").status_code == 303
    logout(client)
    for _ in range(4):
        wrong(client)
    assert login(client, "front").status_code == 303


def test_many_names_from_one_address_lock_the_address(app, client, staff):
    app.config["LOGIN_FAILURES_PER_ADDRESS"] = 6
    for name in ("a", "b", "c", "d", "e", "f"):
        wrong(client, name)
    assert login(client, "front").status_code == 429
    other = app.test_client()
    assert other.post("/login", data={"username": "front", "password": PASSWORD, "csrf_token": csrf_token(other)},
                      environ_base={"REMOTE_ADDR": "192.168.1.77"}).status_code == 303


def test_the_limit_holds_across_server_processes(app, client, staff, tmp_path):
    """Another app on the same database (another worker process) sees the same failures."""
    for _ in range(5):
        wrong(client)
    second = create_app({"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "test-secret",
                         "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024}).test_client()
    assert login(second, "front").status_code == 429


def test_every_login_and_failure_is_in_the_audit_log(client, staff):
    wrong(client)
    login(client, "front")
    logout(client)
    rows = [(e.action, e.actor_name, e.ip) for e in AuditEntry.select().order_by(AuditEntry.id)]
    assert rows == [("login_failed", "front", "127.0.0.1"), ("login", "front", "127.0.0.1"),
                    ("logout", "front", "127.0.0.1")]
    assert AuditEntry.get(AuditEntry.action == "login").actor == User.get(User.username == "front")


def test_logging_in_as_someone_else_ends_the_earlier_login(app, client, staff):
    login(client, "front")
    earlier = client.get_cookie("session").value
    login(client, "care")
    assert [s.ended_why for s in LoginSession.select().order_by(LoginSession.id)] == ["logout", ""]
    thief = app.test_client()
    thief.set_cookie("session", earlier)
    assert thief.get("/inbox").status_code == 302

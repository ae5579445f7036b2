"""Passwords: long enough, not guessable, not the user name; one given by someone else is changed first."""
import pytest
from helpers import PASSWORD, csrf_token, login, post

import accounts
from models import AuditEntry, LoginSession, User


@pytest.mark.parametrize("weak,problem", [
    ("short1!", "too_short"), ("1234567890", "guessable"), ("qwertyuiop", "guessable"),
    ("aaaaaaaaaaaa", "guessable"), ("password123", "guessable"), ("1qaz2wsx3edc", "guessable"),
    ("wang12345678", "has_name"), ("Wang-the-great-42", "has_name"),
])
def test_weak_passwords_are_refused(weak, problem):
    assert accounts.password_problem(weak, "wang", "王建国") == problem


def test_a_few_unrelated_words_are_fine():
    assert accounts.password_problem(PASSWORD, "wang", "王建国") is None
    assert accounts.password_problem("蓝色 汽车 2026 下雨", "wang", "王建国") is None


def test_choosing_a_weak_password_is_refused_beside_the_field(as_user):
    client = as_user("front")
    response = post(client, "/account", {"language": "zh_CN", "current_password": PASSWORD,
                                         "new_password": "1234567890"})
    assert response.status_code == 422 and "太容易被猜到" in response.get_data(as_text=True)
    response = post(client, "/account", {"language": "zh_CN", "current_password": PASSWORD, "new_password": "front"})
    assert response.status_code == 422 and "至少 10 个字符" in response.get_data(as_text=True)
    assert accounts.authenticate("front", PASSWORD)


def test_the_administrator_cannot_type_a_weak_password_for_someone(as_user, staff):
    response = post(as_user("admin"), f"/admin/users/{staff['front'].id}/password", {"password": "front12345678"})
    assert response.status_code == 422 and "用户名" in response.get_data(as_text=True)


def test_a_generated_first_admin_password_is_changed_at_the_first_login(app, client, monkeypatch):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    result = app.test_cli_runner().invoke(args=["init-db"])
    password = result.output.split("password:")[1].split()[0]
    assert login(client, "admin", password).status_code == 303
    for path in ("/inbox", "/admin/users"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith("/account"), path
    assert client.get("/inbox", headers={"HX-Request": "true"}).headers["HX-Redirect"] == "/account"
    page = client.get("/account").get_data(as_text=True)
    assert "请先设置您自己的密码" in page
    same = client.post("/account", data={"language": "zh_CN", "current_password": password,
                                         "new_password": password, "csrf_token": csrf_token(client)})
    assert same.status_code == 422
    changed = client.post("/account", data={"language": "zh_CN", "current_password": password,
                                            "new_password": "orange tractor evening", "csrf_token": csrf_token(client)})
    assert changed.status_code == 303
    assert client.get("/inbox").status_code == 200
    assert not User.get(User.username == "admin").must_change_password


def test_a_given_password_is_changed_at_the_next_login(as_user, staff):
    response = post(as_user("admin"), f"/admin/users/{staff['front'].id}/password", {"password": ""})
    password = response.get_data(as_text=True).split('id="new-password">')[1].split("<")[0]
    client = as_user("admin")
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert login(client, "front", password).status_code == 303
    assert client.get("/inbox").headers["Location"].endswith("/account")


def test_a_weak_admin_password_from_the_environment_is_refused(app, monkeypatch):
    monkeypatch.setenv("ADMIN_PASSWORD", "admin123")
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code != 0 and "too weak" in result.output
    assert not User.select().exists()


def test_a_lost_administrator_password_is_recovered_from_the_shell(app, staff):
    admin = staff["admin"]
    admin.active = False
    accounts.save_user(admin, admin.roles)
    result = app.test_cli_runner().invoke(args=["reset-password", "admin"])
    assert result.exit_code == 0
    password = result.output.split("New password for admin: ")[1].split()[0]
    assert accounts.authenticate("admin", password)
    assert User.get(User.username == "admin").must_change_password
    assert AuditEntry.get(AuditEntry.action == "password_reset").target == "admin"
    assert app.test_cli_runner().invoke(args=["reset-password", "nobody"]).exit_code != 0


def test_reset_ends_the_users_sessions(app, staff):
    client = app.test_client()
    login(client, "front")
    accounts.reset_password(staff["front"])
    assert LoginSession.get().ended_why == "password"
    assert client.get("/inbox").status_code == 302

"""The administrator's screens."""
import re

import pytest
from helpers import login, post

import accounts
from models import Department, User


def new_user(client, **overrides):
    data = {"username": "liu.service", "display_name": "刘强", "roles": ["department_manager"],
            "department": str(Department.get(Department.code == "after_sales").id),
            "language": "zh_CN", "active": "y"}
    data.update(overrides)
    return post(client, "/admin/users/new", data)


def test_admin_adds_a_user_who_can_log_in(app, as_user):
    client = as_user("admin")
    response = new_user(client)
    assert response.status_code == 200
    password = re.search(r'id="new-password">([^<]+)<', response.get_data(as_text=True)).group(1)
    user = User.get(User.username == "liu.service")
    assert user.roles == {"department_manager"} and user.department.code == "after_sales"
    other = app.test_client()
    assert login(other, "liu.service", password).status_code == 303


def test_duplicate_and_bad_user_names_are_refused(as_user):
    client = as_user("admin")
    assert new_user(client, username="front").status_code == 422
    assert new_user(client, username="<script>").status_code == 422
    assert new_user(client, roles=[]).status_code == 422
    assert User.select().where(User.username == "<script>").count() == 0


def test_admin_changes_roles_and_disables(as_user, staff):
    client = as_user("admin")
    user = staff["front"]
    data = {"username": "front", "display_name": "Front", "roles": ["front_line", "callback_clerk"],
            "department": "", "language": "en"}  # "active" unticked
    assert post(client, f"/admin/users/{user.id}", data).status_code == 303
    user = User.get_by_id(user.id)
    assert user.roles == {"front_line", "callback_clerk"} and not user.active and user.department is None
    assert login(client.application.test_client(), "front").status_code == 422


def test_admin_cannot_lock_themselves_out(as_user, staff):
    client = as_user("admin")
    data = {"username": "admin", "display_name": "Admin", "roles": ["care_manager"], "language": "zh_CN",
            "active": "y"}
    assert post(client, f"/admin/users/{staff['admin'].id}", data).status_code == 422
    assert "admin" in User.get_by_id(staff["admin"].id).roles


def test_reset_password_shows_it_once_and_ends_sessions(app, as_user, staff):
    victim = app.test_client()
    login(victim, "front")
    client = as_user("admin")
    response = post(client, f"/admin/users/{staff['front'].id}/password", {"password": ""})
    password = re.search(r'id="new-password">([^<]+)<', response.get_data(as_text=True)).group(1)
    assert victim.get("/inbox").status_code == 302
    assert accounts.authenticate("front", password)
    assert post(client, f"/admin/users/{staff['front'].id}/password", {"password": "short"}).status_code == 422


def test_admin_adds_a_department(as_user):
    client = as_user("admin")
    assert post(client, "/admin/departments", {"name": "二手车部"}).status_code == 303
    assert Department.get(Department.name == "二手车部").active
    assert post(client, "/admin/departments", {"name": "二手车部"}).status_code == 422
    assert "二手车部" in client.get("/admin/users/new").get_data(as_text=True)


@pytest.mark.parametrize("user", ["front", "care", "gm", "service_mgr", "clerk"])
def test_admin_area_does_not_exist_for_others(as_user, staff, user):
    client = as_user(user)
    for path in ("/admin/users", "/admin/users/new", f"/admin/users/{staff['front'].id}",
                 f"/admin/users/{staff['front'].id}/password", "/admin/departments"):
        assert client.get(path).status_code == 404, path
    assert new_user(client).status_code == 404


def test_users_page_lists_roles_without_a_query_per_user(as_user, count_queries):
    client = as_user("admin")
    with count_queries() as few:
        client.get("/admin/users")
    for n in range(10):
        accounts.create_user(f"extra{n}", f"Extra {n}", ["front_line", "callback_clerk"], "a long password")
    with count_queries() as many:
        page = client.get("/admin/users").get_data(as_text=True)
    assert "extra9" in page
    assert len(many.queries) == len(few.queries)

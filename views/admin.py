"""The administrator's screens: users, their roles and departments, passwords."""
from functools import wraps

from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from peewee import JOIN

import accounts
import audit
from admin_forms import DepartmentForm, PasswordForm, UserForm
from models import Department, User
from permissions import can_administer
from views import deny, render

bp = Blueprint("admin", __name__, url_prefix="/admin")


def admin_only(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not can_administer(current_user):
            deny(404)  # the admin area does not exist for anyone else
        return view(*args, **kwargs)
    return wrapper


@bp.get("/users")
@admin_only
def users():
    """Every user with roles and department."""
    staff = User.with_roles(User.select(User, Department)
                            .join(Department, join_type=JOIN.LEFT_OUTER, attr="department")
                            .order_by(User.active.desc(), User.display_name))
    return render("admin/users.html", users=staff)


@bp.route("/users/new", methods=["GET", "POST"])
@admin_only
def new_user():
    """Add a user; the password is shown once."""
    form = UserForm()
    if form.validate_on_submit():
        if User.get_or_none(User.username == form.username.data):
            form.username.errors.append(_("That user name is taken."))
        else:
            password = accounts.generate_password()
            user = _save(User(must_change_password=True), form, password)
            audit.record("user_created", actor=current_user, target=user.username, detail={"after": _facts(user)})
            return render("admin/password_shown.html", user=user, password=password)
    return render("admin/user_form.html", form=form, user=None, status=422 if form.errors else 200)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_only
def edit_user(user_id):
    """Change a user's name, roles, department, language, or disable them."""
    user = User.get_or_none(User.id == user_id) or abort(404)
    form = UserForm(data={"username": user.username, "display_name": user.display_name,
                          "roles": sorted(user.roles), "department": str(user.department_id or ""),
                          "language": user.language, "active": user.active})
    if form.validate_on_submit():
        taken = User.get_or_none((User.username == form.username.data) & (User.id != user.id))
        if taken:
            form.username.errors.append(_("That user name is taken."))
        elif user.id == current_user.id and ("admin" not in form.roles.data or not form.active.data):
            form.roles.errors.append(_("You cannot remove your own administrator rights."))
        else:
            before = _facts(user)
            _save(user, form)
            audit.record("user_changed", actor=current_user, target=user.username,
                         detail=audit.changes(before, _facts(user)))
            flash(_("User %(name)s saved.", name=user.display_name))
            return redirect(url_for("admin.users"), code=303)
    return render("admin/user_form.html", form=form, user=user, status=422 if form.errors else 200)


def _facts(user):
    """What the audit log records of a user, before and after a change."""
    return {"username": user.username, "display_name": user.display_name, "roles": sorted(user.roles),
            "department": user.department.name if user.department_id else "", "language": user.language,
            "active": user.active}


def _save(user, form, password=None):
    user.username = form.username.data
    user.display_name = form.display_name.data
    user.department = Department.get_or_none(Department.id == (form.department.data or None))
    user.language = form.language.data
    user.active = form.active.data
    return accounts.save_user(user, form.roles.data, password)


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@admin_only
def reset_password(user_id):
    """Set a new password (typed or generated); the user's sessions end."""
    user = User.get_or_none(User.id == user_id) or abort(404)
    form = PasswordForm()
    form.for_user = user
    if form.validate_on_submit():
        password = accounts.reset_password(user, form.password.data)  # they choose their own at the next login
        audit.record("password_reset", actor=current_user, target=user.username)
        return render("admin/password_shown.html", user=user, password=password)
    return render("admin/password.html", form=form, user=user, status=422 if form.errors else 200)


@bp.route("/departments", methods=["GET", "POST"])
@admin_only
def departments():
    """The departments; the administrator may add more than the three built in."""
    form = DepartmentForm()
    if form.validate_on_submit():
        if Department.get_or_none(Department.name == form.name.data):
            form.name.errors.append(_("A department with that name exists."))
        else:
            department = Department.create(code=f"dept-{accounts.new_token()[:8]}", name=form.name.data)
            audit.record("department_changed", actor=current_user, target=department.name,
                         detail={"after": {"name": department.name}})
            flash(_("Department %(name)s added.", name=department.name))
            return redirect(url_for("admin.departments"), code=303)
    return render("admin/departments.html", form=form, departments=list(Department.listed()),
                  status=422 if form.errors else 200)

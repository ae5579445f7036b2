"""The command line: init-db, create-user, seed-demo, backup."""
import sqlite3

from helpers import sqlite_only

import accounts
from models import Complaint, Event, User


def run(app, *args, env=None):
    return app.test_cli_runner().invoke(args=list(args), env=env or {})


def test_init_db_creates_the_admin_once_and_prints_the_password(app):
    first = run(app, "init-db")
    assert first.exit_code == 0 and "password:" in first.output
    password = first.output.split("password:")[1].split()[0]
    assert accounts.authenticate("admin", password)
    second = run(app, "init-db")
    assert second.exit_code == 0 and "password" not in second.output


def test_init_db_takes_the_password_from_the_environment(app):
    result = run(app, "init-db", env={"ADMIN_PASSWORD": "from-the-environment"})
    assert "from-the-environment" not in result.output
    assert accounts.authenticate("admin", "from-the-environment")


def test_create_user(app):
    result = run(app, "create-user", "zhao", "--name", "赵敏", "--role", "callback_clerk",
                 "--department", "sales", "--password", "a-long-password")
    assert result.exit_code == 0
    assert User.get(User.username == "zhao").roles == {"callback_clerk"}
    assert run(app, "create-user", "zhao", "--name", "x", "--role", "front_line").exit_code != 0
    assert run(app, "create-user", "x", "--name", "x", "--role", "front_line",
               "--department", "nowhere").exit_code != 0


def test_seed_demo_makes_a_living_dealership(app):
    import process
    process.save({"triage": True})  # as a new install has it
    result = run(app, "seed-demo")
    assert result.exit_code == 0, result.output
    assert Complaint.select().count() == 200
    statuses = {c.status for c in Complaint.select(Complaint.status)}
    assert statuses == {"registered", "in_progress", "awaiting_callback", "closed"}
    assert {c.channel for c in Complaint.select(Complaint.channel)} >= {"phone", "manufacturer", "walk_in"}
    roles = set().union(*(u.roles for u in User.select()))
    assert roles >= {"front_line", "callback_clerk", "care_manager", "department_manager", "general_manager"}
    assert Event.select().count() > 400
    # Dispatched and acknowledged as the policy has it; a few still wait for the care manager.
    assert Complaint.select().where(Complaint.acknowledged_at.is_null(False)).count() > 100
    assert 0 < Complaint.select().where(Complaint.awaiting_dispatch).count() < 40


@sqlite_only
def test_backup_copies_the_database(app, tmp_path, staff):
    target = tmp_path / "copy"
    result = run(app, "backup", str(target))
    assert result.exit_code == 0
    assert run(app, "backup", str(target)).exit_code != 0  # never over an existing folder
    with sqlite3.connect(target / "complaints.db") as copy:
        assert copy.execute("select count(*) from user").fetchone()[0] == len(staff)

"""The app's command line (`flask --app app …`)."""
import os
import sqlite3

import click
from flask import current_app
from flask.cli import with_appcontext

import accounts
import audit
import catalog
import deadlines
from models import Department, User, db, refresh_statistics, utcnow

PASSWORD_RULE = ("at least 10 characters, not a common password, not the user name "
                 "(a few unrelated words work well)")


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create tables and departments; create the first admin if there is no user."""
    chosen = os.environ.get("ADMIN_PASSWORD")
    if chosen and accounts.password_problem(chosen, "admin", "Administrator"):
        raise click.ClickException("ADMIN_PASSWORD is too weak: " + PASSWORD_RULE)
    with db.connection_context():
        accounts.ensure_departments()
        deadlines.ensure_defaults()
        password = accounts.ensure_admin(chosen)
        refresh_statistics()
    click.echo("Database ready.")
    if password and not os.environ.get("ADMIN_PASSWORD"):
        click.echo("")
        click.echo("  First administrator created. It is shown only this once:")
        click.echo("    user name: admin")
        click.echo(f"    password:  {password}")
        click.echo("  You will choose your own password at the first login.")
        click.echo("")


@click.command("create-user")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="Full name shown in the app.")
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice(catalog.codes("role")), help="Repeat for several roles.")
@click.option("--department", default="", help="Department code, e.g. after_sales.")
@click.option("--password", default="", help="Leave out to generate one.")
@with_appcontext
def create_user_command(username, display_name, roles, department, password):
    """Add a user."""
    with db.connection_context():
        if User.get_or_none(User.username == username):
            raise click.ClickException(f"user {username!r} exists already")
        dept = Department.get_or_none(Department.code == department) if department else None
        if department and dept is None:
            raise click.ClickException(f"no department with code {department!r}")
        if password and accounts.password_problem(password, username, display_name):
            raise click.ClickException("the password is too weak: " + PASSWORD_RULE)
        generated = password or accounts.generate_password()
        accounts.create_user(username, display_name, list(roles), generated, department=dept,
                             must_change_password=not password)
    click.echo(f"User {username} created." + ("" if password else f" Password: {generated} (changed at first login)"))


@click.command("reset-password")
@click.argument("username")
@with_appcontext
def reset_password_command(username):
    """Give a user (a locked-out administrator, say) a new password, shown once.

    The user chooses their own at the next login; their sessions end; a disabled
    user is enabled again.
    """
    with db.connection_context():
        user = User.get_or_none(User.username == username)
        if user is None:
            raise click.ClickException(f"no user {username!r}; `flask --app app create-user` makes one")
        user.active = True
        password = accounts.reset_password(user)
        audit.record("password_reset", target=username, actor_name="(command line)")
    click.echo(f"New password for {username}: {password}  (to be changed at the next login)")


@click.command("seed-demo")
@click.option("--complaints", default=200, help="How many complaints to make.")
@with_appcontext
def seed_demo_command(complaints):
    """Fill a realistic demo dealership (users of every role, complaints in every state)."""
    import demo
    with db.connection_context():
        accounts.ensure_departments()
        deadlines.ensure_defaults()
        made = demo.seed(complaints, utcnow(), current_app.config["TIMEZONE"])
    click.echo(f"Demo dealership ready: {made} complaints. Every demo user's password is "
               f"{demo.PASSWORD!r}; user names: {', '.join(demo.USERNAMES)}.")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="0.0.0.0 serves the whole LAN.")
@click.option("--port", default=8000, show_default=True)
@click.option("--threads", default=8, show_default=True, help="Web server threads.")
def serve_command(host, port, threads):
    """Run the web server and the task consumer together, restarting either if it dies."""
    import launcher
    launcher.run(host, port, threads)


@click.command("backup")
@click.argument("destination", required=False)
@with_appcontext
def backup_command(destination):
    """Copy the SQLite database safely while the app runs."""
    click.echo(f"Backed up to {backup(destination)}")


def backup(destination=None):
    """Online backup of the SQLite database into instance/backups/."""
    if not current_app.config["DATABASE_URL"].startswith("sqlite:"):
        raise click.ClickException("only the SQLite database is backed up here; use the server's own tools")
    folder = os.path.join(current_app.instance_path, "backups")
    os.makedirs(folder, exist_ok=True)
    destination = destination or os.path.join(
        folder, "complaints-" + utcnow().strftime("%Y%m%d-%H%M%S") + ".db")
    with db.connection_context():
        target = sqlite3.connect(destination)
        try:
            db.connection().backup(target)
        finally:
            target.close()
    return destination


ALL = [init_db_command, create_user_command, reset_password_command, seed_demo_command, serve_command,
       backup_command]

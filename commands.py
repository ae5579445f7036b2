"""The app's command line (`flask --app app …`)."""
import os

import click
from flask import current_app
from flask.cli import with_appcontext

import accounts
import audit
import backups
import catalog
import launcher
import migrations
import running
from deadlines import calendar_days, rules
from models import Department, User, close_all, db, refresh_statistics, utcnow

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
        rules.ensure_defaults()
        if current_app.config["OFFICIAL_CALENDAR"]:
            calendar_days.load_official_now(current_app.config["TIMEZONE"])
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
        rules.ensure_defaults()
        made = demo.seed(complaints, utcnow(), current_app.config["TIMEZONE"])
    click.echo(f"Demo dealership ready: {made} complaints. Every demo user's password is "
               f"{demo.PASSWORD!r}; user names: {', '.join(demo.USERNAMES)}.")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="0.0.0.0 serves the whole LAN.")
@click.option("--port", default=8000, show_default=True)
@click.option("--threads", default=launcher.THREADS, show_default=True, help="Threads per web server process.")
@click.option("--workers", default=0, help="Web server processes (default: one per core, or WEB_WORKERS).")
def serve_command(host, port, threads, workers):
    """Run the web server and the task consumer together, restarting either if it dies."""
    launcher.run(host, port, threads, workers or None)


@click.command("backup")
@click.argument("destination", required=False)
@with_appcontext
def backup_command(destination):
    """Copy the database and the photos and documents, safely while the app runs.

    DESTINATION is a new folder; without it the backup goes into BACKUP_PATH.
    """
    click.echo(f"Backed up to {backup(destination)}")


def backup(destination=None):
    """A backup folder (backups.make); the default one goes to BACKUP_PATH, linked to the last."""
    _sqlite_only()
    folder, previous = current_app.config["BACKUP_PATH"], None
    if destination is None:
        os.makedirs(folder, exist_ok=True)
        previous = backups.latest(folder)
        destination = os.path.join(folder, "complaints-" + utcnow().strftime("%Y%m%d-%H%M%S"))
    if os.path.exists(destination):
        raise click.ClickException(f"{destination} exists already: name a new folder")
    with db.connection_context():
        return backups.make(db.connection(), current_app.config["ATTACHMENTS_PATH"], destination, previous)


@click.command("restore")
@click.argument("source", type=click.Path(exists=True))
@click.option("--yes", is_flag=True, help="Do not ask before replacing.")
@with_appcontext
def restore_command(source, yes):
    """Put a backup back: a folder made by `backup` (or a .db file of an older release).

    The app must be stopped. The backup is checked first; the current database and
    attachments are moved aside, not deleted; everyone logs in again afterwards.
    """
    _sqlite_only()
    try:
        backups.check(source)
    except backups.BackupError as error:
        raise click.ClickException(f"this backup cannot be restored: {error}") from None
    config, instance = current_app.config, current_app.instance_path
    aside = os.path.join(instance, "before-restore-" + utcnow().strftime("%Y%m%d-%H%M%S"))
    with running.alone(instance) as alone:
        if alone is False:
            raise click.ClickException(
                "the app is running (web server or task consumer): stop it first (Ctrl-C where `make run` runs, "
                "or `systemctl stop complaints-web complaints-tasks`), then restore again")
        if not yes:
            click.confirm(f"Replace the database and attachments with {source}? The current ones move to {aside}"
                          + ("" if alone else " (this system cannot tell whether the app is stopped: stop it)"),
                          abort=True)
        close_all()  # pooled connections too: none may stay on the file being replaced
        counts = backups.restore(source, _sqlite_path(), config["ATTACHMENTS_PATH"], aside)
        migrations.open_and_upgrade(config["DATABASE_URL"])  # an older backup's tables brought up to date
        with db.connection_context():
            accounts.end_all_sessions(utcnow(), "restore")
            audit.record("backup_restored", target=os.path.basename(os.path.normpath(source))[:120],
                         actor_name="(command line)")
    click.echo(f"Restored {counts.get('complaint', 0)} complaints, {counts.get('event', 0)} timeline entries and "
               f"{counts.get('attachment', 0)} photos and documents. The previous data is in {aside}. "
               "Everyone logs in again.")


def _sqlite_only():
    if not current_app.config["DATABASE_URL"].startswith("sqlite:"):
        raise click.ClickException("this backs up SQLite only; back up PostgreSQL with its own tools (see README)")


def _sqlite_path():
    return current_app.config["DATABASE_URL"].split("sqlite:///", 1)[-1]


ALL = [init_db_command, create_user_command, reset_password_command, seed_demo_command, serve_command,
       backup_command, restore_command]

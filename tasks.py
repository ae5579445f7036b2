"""Background work: the huey instance and its tasks.

SQLite-backed by default (no server to install); a dealer group sets
HUEY_URL=redis://… to use Redis instead. Tasks are thin calls into the app.
"""
import os
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

from huey import RedisHuey, SqliteHuey, crontab

HERE = os.path.dirname(os.path.abspath(__file__))
INSTANCE = os.environ.get("INSTANCE_PATH") or os.path.join(HERE, "instance")


def make_huey():
    url = os.environ.get("HUEY_URL", "")
    if url.startswith("redis://"):
        return RedisHuey("complaints", url=url, results=False)
    os.makedirs(INSTANCE, exist_ok=True)
    # results=False: nothing reads what a task returns, and kept results would pile up.
    return SqliteHuey("complaints", filename=os.path.join(INSTANCE, "huey.db"), results=False)


huey = make_huey()
_app = None
_app_lock = threading.Lock()


def flask_app():
    """The app, built once: the consumer's worker threads all ask for it as they start."""
    global _app
    with _app_lock:
        if _app is None:
            import running
            from app import create_app
            _app = create_app()
            running.leave_startup_objects_alone()
    return _app


@huey.on_startup()
def build_the_app():
    """In each worker thread as the consumer starts: the app is built (once; the other threads
    wait on the lock), so its modules are imported by one thread before any task runs. Two tasks
    importing them side by side, the sweep and the delivery at the first minute, met a
    half-imported module (babel: "cannot import name 'Locale' ... partially initialized") and
    both failed that minute."""
    flask_app()


def _in_app(name, work):
    """Run work(now) inside the app with its own database connection, unless another
    live runner has the task (background.run_exclusive)."""
    import background
    from models import db, utcnow
    app = flask_app()
    with app.app_context(), db.connection_context():
        return background.run_exclusive(name, lambda: work(utcnow()))


@huey.periodic_task(crontab(minute="*"))
def deadline_sweep():
    """Every minute: reminders and escalations that have come due (workflow.sweep), then the
    database's log copied back into its file (models.checkpoint), so that no one's save waits
    for that."""
    import background
    import models
    import workflow

    def work(now):
        report = workflow.sweep(now)
        models.checkpoint()
        return report
    return _in_app(background.SWEEP, work)


@huey.periodic_task(crontab(minute="*"))
def deliver_messages():
    """Every minute: daily digests when due, then the outbox (e-mail, webhooks)."""
    import background
    import notify
    from deadlines import calendar_days

    def work(now):
        notify.send_digests(now, calendar_days.load_calendar())
        return notify.deliver(now)
    return _in_app(background.DELIVERY, work)


def _utc_hour(local_hour):
    """huey's crontab runs on UTC; the backup should run at night in the dealership."""
    zone = ZoneInfo(os.environ.get("DEALERSHIP_TZ", "Asia/Shanghai"))
    offset = datetime.now(zone).utcoffset().total_seconds() // 3600
    return str(int(local_hour - offset) % 24)


@huey.periodic_task(crontab(hour=_utc_hour(2), minute="30"))
def nightly_backup():
    """Back up the database and attachments every night (BACKUP_PATH) and keep the last two weeks."""
    import background
    app = flask_app()
    if not app.config["DATABASE_URL"].startswith("sqlite:"):
        return None  # a server database is backed up by its own tools
    import backups
    from commands import backup
    from models import refresh_statistics

    def work(now):
        path = backup()
        backups.prune(app.config["BACKUP_PATH"], app.config["BACKUPS_KEPT"])
        refresh_statistics()
        return path
    return _in_app(background.BACKUP, work)


@huey.periodic_task(crontab(hour=_utc_hour(3), minute="10"))
def prune_audit_log():
    """Every night: drop audit entries past their keeping time (at least a year)."""
    import audit
    import background
    return _in_app(background.PRUNE, lambda now: audit.prune(now, flask_app().config["AUDIT_KEEP_DAYS"]))


@huey.periodic_task(crontab(hour=_utc_hour(3), minute="20"))
def prune_notifications():
    """Every night: drop notifications read, and messages sent, more than NOTIFICATIONS_KEEP_DAYS ago."""
    import background
    import notify
    return _in_app(background.PRUNE_NOTIFICATIONS,
                   lambda now: notify.prune(now, flask_app().config["NOTIFICATIONS_KEEP_DAYS"]))


@huey.task()
def check_import(job_id):
    """Check every row of an imported file (nothing saved); the page shows the progress."""
    from callbacks import imports
    return _import_step(job_id, lambda now, calendar: imports.check(job_id, calendar.local_day(now)))


@huey.task()
def save_import(job_id, user_id):
    """Save an import's valid rows and their calls, in one transaction."""
    from callbacks import imports
    return _import_step(job_id, lambda now, calendar: imports.save(job_id, user_id, now, calendar.local_day(now),
                                                                   calendar))


def _import_step(job_id, work):
    from callbacks import imports
    from deadlines import calendar_days
    from models import db, utcnow
    app = flask_app()
    with app.app_context(), db.connection_context():
        try:
            return work(utcnow(), calendar_days.load_calendar())
        except Exception as error:
            imports.fail(job_id, f"{type(error).__name__}: {error}")
            raise

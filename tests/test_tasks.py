"""Background tasks run in-process (huey immediate mode is not needed: call_local)."""
import os
from datetime import datetime

import pytest
from helpers import SERVER_DATABASE, sqlite_only

import tasks


@sqlite_only
def test_nightly_backup_copies_the_database_and_keeps_two_weeks(app, staff, monkeypatch, tmp_path):
    monkeypatch.setattr(tasks, "_app", app)
    folder = tmp_path / "backups"
    folder.mkdir()
    for day in range(10):
        (folder / f"complaints-202601{day + 1:02d}-023000.db").write_text("old")  # an older release's files
    for day in range(10):
        (folder / f"complaints-202602{day + 1:02d}-023000").mkdir()
    path = tasks.nightly_backup.call_local()
    assert os.path.getsize(os.path.join(path, "complaints.db")) > 0
    kept = sorted(os.listdir(folder))
    assert len(kept) == 14 and os.path.basename(path) in kept
    assert "complaints-20260101-023000.db" not in kept  # the oldest go first, whatever their release


def test_the_night_leaves_a_server_database_to_its_own_backup_tools(app, monkeypatch):
    monkeypatch.setattr(tasks, "_app", app)
    app.config["DATABASE_URL"] = "postgresql://complaints@127.0.0.1/complaints"
    assert tasks.nightly_backup.call_local() is None
    assert not os.path.exists(app.config["BACKUP_PATH"])


def test_huey_uses_sqlite_in_the_instance_folder_by_default(monkeypatch, tmp_path):
    monkeypatch.delenv("HUEY_URL", raising=False)
    monkeypatch.setattr(tasks, "INSTANCE", str(tmp_path))
    made = tasks.make_huey()
    assert type(made).__name__ == "SqliteHuey" and made.storage.filename == str(tmp_path / "huey.db")


def test_huey_url_moves_the_queue_to_redis(monkeypatch):
    monkeypatch.setenv("HUEY_URL", "redis://127.0.0.1:6399/3")
    assert type(tasks.make_huey()).__name__ == "RedisHuey"  # (connects only when used)


@pytest.mark.skipif(not SERVER_DATABASE, reason="the PostgreSQL and Redis run")
def test_the_server_run_really_uses_postgresql_and_redis(app):
    """The second CI run is not SQLite in disguise: the app's database and huey's queue and locks."""
    from models import db
    assert db.execute_sql("SELECT version()").fetchone()[0].startswith("PostgreSQL")
    assert type(tasks.huey.storage).__name__ == "RedisStorage"
    tasks.huey.storage.put_data("ci-probe", b"1")
    assert tasks.huey.storage.pop_data("ci-probe") == b"1"


def test_the_periodic_tasks_run_the_sweep_and_the_outbox(app, staff, monkeypatch):
    monkeypatch.setattr(tasks, "_app", app)
    assert set(tasks.deadline_sweep.call_local()) == {"notified", "skipped", "calls", "actions"}
    assert tasks.deliver_messages.call_local() == {"sent": 0, "failed": 0}


@sqlite_only
def test_the_sweep_task_copies_the_log_into_the_database_file(app, staff, monkeypatch):
    """A save's commit no longer copies SQLite's log back into the database file (it waited for
    pages others wrote): the consumer does it after each sweep. What the log holds, the file
    itself then holds, as a reader that ignores the log sees it."""
    import sqlite3

    from models import Setting
    monkeypatch.setattr(tasks, "_app", app)
    path = app.config["DATABASE_URL"].split(":///", 1)[1]

    def in_the_file_alone():
        file = sqlite3.connect(f"file:{path}?immutable=1", uri=True)  # reads the file, not the log
        try:
            return file.execute("SELECT value FROM setting WHERE key = 'checkpoint_test'").fetchall()
        finally:
            file.close()
    # A web worker's connection stays open (SQLite copies the log when the last one closes).
    worker = sqlite3.connect(path)
    try:
        worker.execute("SELECT COUNT(*) FROM setting").fetchall()
        with app.app_context():
            Setting.write("checkpoint_test", "saved")
        assert in_the_file_alone() == []  # in the log only: the commit did not copy it
        tasks.deadline_sweep.call_local()
        assert in_the_file_alone() == [('"saved"',)]
    finally:
        worker.close()


def test_sweep_and_outbox_run_every_minute_and_the_backup_at_night():
    def due_at(utc):
        return {t.name for t in tasks.huey.read_periodic(utc)}
    assert due_at(datetime(2026, 11, 20, 3, 17)) == {"deadline_sweep", "deliver_messages"}
    assert due_at(datetime(2026, 11, 20, 18, 30)) == {"deadline_sweep", "deliver_messages", "nightly_backup"}


def test_a_consumer_worker_builds_the_app_before_it_takes_a_task(app, tmp_path):
    """The consumer's worker threads import the app's modules through the app, one thread at a
    time, as they start: two tasks importing them side by side at the first minute met a
    half-imported module (babel) and both failed that minute. Once built, what the process holds
    is left out of garbage collection: a full collection of it took 20 ms of one sweep in four."""
    import subprocess
    import sys
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": app.config["DATABASE_URL"]}
    script = ("import gc, sys, tasks; [hook() for hook in tasks.huey._startup.values()]; "
              "print(tasks._app is not None and all(m in sys.modules for m in ('workflow', 'notify', 'babel.core')),"
              " gc.get_freeze_count() > 10000)")
    started = subprocess.run([sys.executable, "-c", script], cwd=here, env=env, capture_output=True, text=True,
                             check=True)
    assert started.stdout.split() == ["True", "True"], started.stderr

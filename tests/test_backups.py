"""Backups taken while staff work, restored into a fresh instance, every row the same."""
import hashlib
import io
import os
import sqlite3
import subprocess
import sys
import threading

import pytest
from helpers import complaint_fields, sqlite_only
from PIL import Image

import backups
import commands
import workflow
from app import create_app
from models import MODELS, Attachment, LoginSession, db, utcnow

# Backups and restores of SQLite's file; PostgreSQL is backed up with pg_dump (README).
pytestmark = sqlite_only


def rows_of(path):
    """Every table's rows, sorted, straight from a database file."""
    with sqlite3.connect(path) as connection:
        return {model._meta.table_name: sorted(connection.execute(f'SELECT * FROM "{model._meta.table_name}"'),
                                               key=repr) for model in MODELS}


def files_of(folder):
    found = {}
    for root, _dirs, names in os.walk(folder):
        for name in names:
            with open(os.path.join(root, name), "rb") as f:
                found[os.path.relpath(os.path.join(root, name), folder)] = hashlib.sha256(f.read()).hexdigest()
    return found


def attach_photo(app, complaint, staff, name="划痕.jpg"):
    import attachments
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "blue").save(buffer, "JPEG")

    class Upload:
        filename = name
        stream = io.BytesIO(buffer.getvalue())
    root = app.config["ATTACHMENTS_PATH"]
    os.makedirs(os.path.join(root, "incoming"), exist_ok=True)
    checked = attachments.check(Upload, os.path.join(root, "incoming"), 2 ** 20)
    stored = attachments.keep(checked, root, utcnow())
    workflow.add_attachments(complaint.id, [{"stored_name": stored, "original_name": name, "size": checked.size,
                                             "content_type": checked.content_type, "sha256": checked.sha256,
                                             "has_images": True}], staff["advisor"], utcnow())


def fresh_instance(tmp_path, name):
    folder = tmp_path / name
    folder.mkdir()
    return create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{folder}/complaints.db",
                       "INSTANCE_PATH": str(folder), "SECRET_KEY": "test",
                       "ATTACHMENTS_PATH": str(folder / "attachments")}), folder


def test_a_backup_taken_during_writes_restores_every_row_and_file(app, staff, tmp_path):
    for _ in range(5):
        c = workflow.register(complaint_fields(), staff["front"], utcnow())
    attach_photo(app, c, staff)
    stop, written = threading.Event(), []

    def keep_registering():
        with db.connection_context():
            while not stop.is_set():
                written.append(workflow.register(complaint_fields(), staff["front"], utcnow()).number)
    writer = threading.Thread(target=keep_registering)
    writer.start()
    try:
        while len(written) < 5:
            pass
        with app.app_context():
            during = commands.backup(str(tmp_path / "during"))
        assert len(written) >= 5
    finally:
        stop.set()
        writer.join()
    with app.app_context():
        after = commands.backup(str(tmp_path / "after"))  # the writes have stopped

    for backup, label in ((during, "b1"), (after, "b2")):
        restored_app, folder = fresh_instance(tmp_path, label)
        result = restored_app.test_cli_runner().invoke(args=["restore", backup, "--yes"])
        assert result.exit_code == 0, result.output
        restored = rows_of(folder / "complaints.db")
        copied = rows_of(os.path.join(backup, "complaints.db"))
        for table in restored:
            if table in ("loginsession", "auditentry"):
                continue  # the restore ends the sessions and records itself
            assert restored[table] == copied[table], table
        assert files_of(folder / "attachments") == files_of(os.path.join(backup, "attachments"))
    # After the writes stopped, the restored instance holds exactly what the original holds.
    original = rows_of(app.config["DATABASE_URL"].split("sqlite:///")[1])
    for table, rows in rows_of(folder / "complaints.db").items():
        if table not in ("loginsession", "auditentry"):
            assert rows == original[table], table
    assert files_of(folder / "attachments") == files_of(app.config["ATTACHMENTS_PATH"])


def test_the_backup_during_writes_is_consistent(app, staff, tmp_path):
    """Every complaint in it has its registration event and clocks: a snapshot, not a blend."""
    stop = threading.Event()

    def keep_registering():
        with db.connection_context():
            while not stop.is_set():
                workflow.register(complaint_fields(), staff["front"], utcnow())
    writer = threading.Thread(target=keep_registering)
    writer.start()
    try:
        with app.app_context():
            paths = [commands.backup(str(tmp_path / f"b{i}")) for i in range(3)]
    finally:
        stop.set()
        writer.join()
    for path in paths:
        with sqlite3.connect(os.path.join(path, "complaints.db")) as copy:
            complaints = copy.execute("SELECT COUNT(*) FROM complaint").fetchone()[0]
            registered = copy.execute("SELECT COUNT(*) FROM event WHERE kind = 'registered'").fetchone()[0]
            counter = copy.execute("SELECT COALESCE(SUM(last), 0) FROM numbercounter").fetchone()[0]
            assert complaints == registered == counter


def test_nightly_backups_link_unchanged_photos_instead_of_copying(app, staff, tmp_path):
    c = workflow.register(complaint_fields(), staff["front"], utcnow())
    attach_photo(app, c, staff)
    app.config["BACKUP_PATH"] = str(tmp_path / "nightly")
    with app.app_context():
        first = commands.backup()
        os.rename(first, first + "-a")  # two backups in the same minute need two names
        second = commands.backup()
    stored = Attachment.get().stored_name
    a, b = (os.stat(os.path.join(p, "attachments", stored)) for p in (first + "-a", second))
    assert a.st_ino == b.st_ino  # one copy on disk


def test_restore_refuses_while_the_app_is_running(app, staff, tmp_path):
    with app.app_context():
        backup = commands.backup(str(tmp_path / "b"))
    target, folder = fresh_instance(tmp_path, "target")
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, sys, time; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_SH); "
        "print('held', flush=True); time.sleep(60)"), str(folder / "running.lock")], stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"held"
        result = target.test_cli_runner().invoke(args=["restore", backup, "--yes"])
        assert result.exit_code != 0 and "the app is running" in result.output
        assert not any(name.startswith("before-restore") for name in os.listdir(folder))
    finally:
        holder.kill()
        holder.wait()  # the lock goes when the process is gone, not when it is told to go
    assert target.test_cli_runner().invoke(args=["restore", backup, "--yes"]).exit_code == 0


def test_a_damaged_or_incomplete_backup_is_refused_and_nothing_changes(app, staff, tmp_path):
    c = workflow.register(complaint_fields(), staff["front"], utcnow())
    attach_photo(app, c, staff)
    with app.app_context():
        good = commands.backup(str(tmp_path / "good"))
    target, folder = fresh_instance(tmp_path, "target")
    before = rows_of(folder / "complaints.db")

    damaged = tmp_path / "damaged"
    os.makedirs(damaged)
    (damaged / "complaints.db").write_bytes(b"SQLite format 3\0" + os.urandom(8000))
    incomplete = tmp_path / "incomplete"
    os.system(f"cp -r {good} {incomplete}")
    for root, _dirs, names in os.walk(incomplete / "attachments"):
        for name in names:
            os.remove(os.path.join(root, name))
    for bad, why in ((damaged, "not a readable SQLite database"), (incomplete, "missing from the backup"),
                     (tmp_path, "no database")):
        result = target.test_cli_runner().invoke(args=["restore", str(bad), "--yes"])
        assert result.exit_code != 0 and why in result.output, result.output
    assert rows_of(folder / "complaints.db") == before


def test_after_a_restore_everyone_logs_in_again(app, staff, tmp_path, client):
    from helpers import login
    login(client, "front")
    with app.app_context():
        backup = commands.backup(str(tmp_path / "b"))
    result = app.test_cli_runner().invoke(args=["restore", backup, "--yes"])
    assert result.exit_code == 0, result.output
    assert "Restored" in result.output and "before-restore-" in result.output
    assert client.get("/inbox").status_code == 302
    assert LoginSession.select().where(LoginSession.ended_at.is_null()).count() == 0


def test_a_database_file_of_an_older_release_restores_too(app, staff, tmp_path):
    legacy = tmp_path / "complaints-20260101-023000.db"
    with db.connection_context(), sqlite3.connect(legacy) as target:
        db.connection().backup(target)
    database, folder = backups.check(str(legacy))
    assert database == str(legacy) and folder is None


def test_postgresql_is_backed_up_with_its_own_tools(app):
    app.config["DATABASE_URL"] = "postgresql://x@localhost/complaints"
    result = app.test_cli_runner().invoke(args=["backup", "/tmp/x"])
    assert result.exit_code != 0 and "PostgreSQL" in result.output


@pytest.fixture(autouse=True)
def _own_attachment_folder(app, tmp_path):
    app.config["ATTACHMENTS_PATH"] = str(tmp_path / "attachments")

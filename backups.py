"""Backups of the SQLite database with its photos and documents, and restoring one.

A backup is a folder: `complaints.db` (SQLite's online backup, a consistent copy
taken while the app runs), `attachments/` and `manifest.json`. The database is
copied first and the attachments after, so every file the copied rows name is
there (a file is written before its row). Stored files never change, so a file
already in the previous backup is hard-linked to it, not copied again: fourteen
nightly backups cost one copy of the photos plus what each day added.

Restoring checks the backup first (SQLite's integrity check, the tables this app
needs, every attachment present), refuses while the app is running, moves the
current database and attachments aside (never deletes them), and ends every
login session.
"""
import json
import os
import shutil
import sqlite3
from datetime import UTC, datetime

import attachments

DATABASE = "complaints.db"
ATTACHMENTS = "attachments"
MANIFEST = "manifest.json"
NEEDED_TABLES = {"complaint", "event", "user", "clock"}


class BackupError(Exception):
    """The backup cannot be used; the message says why."""


def make(connection, attachments_path, destination, previous=None):
    """Write a backup folder at `destination` from an open sqlite3 connection."""
    os.makedirs(destination)
    target = sqlite3.connect(os.path.join(destination, DATABASE))
    try:
        connection.backup(target)
        counts = _counts(target)
    finally:
        target.close()
    copied = os.path.join(destination, ATTACHMENTS)
    if os.path.isdir(attachments_path):
        link_from = os.path.join(previous, ATTACHMENTS) if previous else None
        attachments.copy_tree(attachments_path, copied, link_from)
        shutil.rmtree(os.path.join(copied, "incoming"), ignore_errors=True)  # half-received uploads
    else:
        os.makedirs(copied)
    with open(os.path.join(destination, MANIFEST), "w") as f:
        json.dump({"made_at": datetime.now(UTC).isoformat(timespec="seconds"), "rows": counts}, f, indent=1)
    return destination


def latest(folder):
    """The newest backup folder in `folder`, or None."""
    found = sorted(p for p in (os.path.join(folder, n) for n in os.listdir(folder))
                   if os.path.isfile(os.path.join(p, DATABASE))) if os.path.isdir(folder) else []
    return found[-1] if found else None


def prune(folder, keep):
    """Keep the newest `keep` backups in `folder` (folders, and single files of older releases)."""
    entries = sorted(n for n in os.listdir(folder) if n.startswith("complaints-"))
    for name in entries[:-keep] if keep else entries:
        path = os.path.join(folder, name)
        shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)


def check(source):
    """(database file, attachments folder or None) of a backup; BackupError if it cannot be restored.

    `source` is a backup folder, or a bare database file from an older release.
    """
    database = os.path.join(source, DATABASE) if os.path.isdir(source) else source
    if not os.path.isfile(database):
        raise BackupError(f"no database in {source}")
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as copy:
            verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {row[0] for row in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            stored = [row[0] for row in copy.execute("SELECT stored_name FROM attachment")] \
                if "attachment" in tables else []
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{database} is not a readable SQLite database: {error}") from error
    if verdict != "ok":
        raise BackupError(f"{database} is damaged: {verdict}")
    if not NEEDED_TABLES <= tables:
        raise BackupError(f"{database} is not a complaint desk database (missing {sorted(NEEDED_TABLES - tables)})")
    folder = os.path.join(source, ATTACHMENTS) if os.path.isdir(source) else None
    missing = [name for name in stored if not (folder and os.path.isfile(os.path.join(folder, name)))]
    if missing:
        raise BackupError(f"{len(missing)} photos or documents are missing from the backup, e.g. {missing[0]}")
    return database, folder


def restore(source, database_path, attachments_path, aside):
    """Put the backup in place of the current database and attachments, which move to `aside`."""
    database, folder = check(source)
    os.makedirs(aside)
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(database_path + suffix):
            shutil.move(database_path + suffix, os.path.join(aside, os.path.basename(database_path) + suffix))
    if os.path.isdir(attachments_path):
        shutil.move(attachments_path, os.path.join(aside, ATTACHMENTS))
    incoming = database_path + ".restoring"
    shutil.copy2(database, incoming)
    os.replace(incoming, database_path)
    if folder:
        attachments.copy_tree(folder, attachments_path)
    else:
        os.makedirs(attachments_path, exist_ok=True)
    return _counts_of(database_path)


def _counts(connection):
    tables = [row[0] for row in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {table: connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0] for table in tables}


def _counts_of(path):
    with sqlite3.connect(path) as connection:
        return _counts(connection)

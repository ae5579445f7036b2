"""Background tasks run in-process (huey immediate mode is not needed: call_local)."""
import os

import tasks


def test_nightly_backup_copies_the_database_and_keeps_two_weeks(app, staff, monkeypatch, tmp_path):
    monkeypatch.setattr(tasks, "_app", app)
    folder = tmp_path / "backups"
    folder.mkdir()
    for day in range(20):
        (folder / f"complaints-202601{day + 1:02d}-023000.db").write_text("old")
    path = tasks.nightly_backup.call_local()
    assert os.path.getsize(path) > 0
    kept = sorted(os.listdir(folder))
    assert len(kept) == tasks.KEEP_BACKUPS and os.path.basename(path) in kept


def test_huey_uses_sqlite_in_the_instance_folder_by_default():
    assert type(tasks.huey).__name__ == "SqliteHuey"

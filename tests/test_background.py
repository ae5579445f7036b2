"""The periodic tasks' leases and heartbeats: nothing in the background stops silently."""
import subprocess
import sys
import threading
import time
from datetime import timedelta

from helpers import NOW

import background
import tasks
from models import TaskRun

DEAD_PID = 2 ** 22 + 12345  # above Linux's pid_max: no process has it


def holder(pid=None, token=None, thread=None, host=None):
    import os
    return (f"{host or background.HOST}:{pid or os.getpid()}:{token or background.PROCESS_TOKEN}:"
            f"{thread or threading.get_ident()}")


def test_a_lease_held_by_a_killed_process_is_taken_over_at_once(app):
    assert background.acquire("deadline-sweep", NOW, holder(pid=DEAD_PID, token="gone"))
    assert background.acquire("deadline-sweep", NOW + timedelta(seconds=1))
    assert TaskRun.get_by_id("deadline-sweep").holder == background.holder_id()


def test_a_lease_of_an_earlier_process_with_the_same_pid_is_taken_over(app):
    """Containers give a restarted consumer the same pid: the process token tells them apart."""
    assert background.acquire("deadline-sweep", NOW, holder(token="earlier-process"))
    assert background.acquire("deadline-sweep", NOW + timedelta(seconds=1))


def test_a_live_runner_keeps_its_lease(app):
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert background.acquire("deadline-sweep", NOW, holder(pid=process.pid, token="other"))
        assert not background.acquire("deadline-sweep", NOW + timedelta(minutes=1))
        # ...until the lease runs out (a runner that hangs does not block for ever).
        assert background.acquire("deadline-sweep", NOW + background.LEASE + timedelta(seconds=1))
    finally:
        process.kill()


def test_a_live_thread_of_this_process_keeps_its_lease_and_a_finished_one_does_not(app):
    started, stop = threading.Event(), threading.Event()
    worker = threading.Thread(target=lambda: (started.set(), stop.wait(10)))
    worker.start()
    started.wait()
    try:
        assert background.acquire("deadline-sweep", NOW, holder(thread=worker.ident))
        assert not background.acquire("deadline-sweep", NOW)
    finally:
        stop.set()
        worker.join()
    assert background.acquire("deadline-sweep", NOW)


def test_a_lease_on_another_host_is_trusted_until_it_runs_out(app):
    assert background.acquire("deadline-sweep", NOW, holder(host="other-box", pid=DEAD_PID))
    assert not background.acquire("deadline-sweep", NOW + timedelta(minutes=9))
    assert background.acquire("deadline-sweep", NOW + timedelta(minutes=11))


def test_run_exclusive_records_success_and_failure(app):
    assert background.run_exclusive("deadline-sweep", lambda: "done") == "done"
    row = TaskRun.get_by_id("deadline-sweep")
    assert row.holder == "" and row.last_ok_at is not None

    def broken():
        raise RuntimeError("database is locked")
    try:
        background.run_exclusive("deadline-sweep", broken)
    except RuntimeError:
        pass
    row = TaskRun.get_by_id("deadline-sweep")
    assert row.holder == "" and row.last_error == "RuntimeError: database is locked"


def test_a_lease_this_thread_failed_to_give_back_does_not_skip_its_next_runs(app):
    """A release that failed (the database busy too long) must not skip the task until the lease runs out."""
    assert background.acquire("deliver-messages", NOW)
    assert background.acquire("deliver-messages", NOW + timedelta(minutes=1))


def test_giving_the_lease_back_is_tried_again_when_the_database_is_busy(app, monkeypatch):
    from contextlib import nullcontext

    from peewee import OperationalError
    tries = []

    def busy_once():
        tries.append(1)
        if len(tries) == 1:
            raise OperationalError("database is locked")
        return nullcontext()
    assert background.acquire("deliver-messages", NOW)
    monkeypatch.setattr(background, "write_transaction", busy_once)
    background.release("deliver-messages", NOW)
    row = TaskRun.get_by_id("deliver-messages")
    assert len(tries) == 2 and row.holder == "" and row.last_ok_at == NOW


def test_stalled_names_tasks_that_have_not_finished_for_a_while(app):
    TaskRun.update(created_at=NOW - timedelta(hours=1), last_ok_at=None).execute()
    background.release("deadline-sweep", NOW - timedelta(minutes=3), holder="")  # nothing held: no change
    TaskRun.update(last_ok_at=NOW - timedelta(minutes=2)).where(TaskRun.name == "deliver-messages").execute()
    TaskRun.update(last_ok_at=NOW - timedelta(minutes=7)).where(TaskRun.name == "deadline-sweep").execute()
    assert background.stalled(NOW, timedelta(minutes=5)) == [("deadline-sweep", NOW - timedelta(minutes=7), "")]


def test_the_app_is_built_once_when_the_workers_start_together(monkeypatch):
    """The consumer's worker threads each ask for the app as they start (fault: IndexError)."""
    import app as app_module
    built = []

    def slow_create_app():
        built.append(threading.get_ident())
        time.sleep(0.2)
        return object()
    monkeypatch.setattr(app_module, "create_app", slow_create_app)
    monkeypatch.setattr(tasks, "_app", None)
    got = []
    workers = [threading.Thread(target=lambda: got.append(tasks.flask_app())) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert len(built) == 1 and len(set(map(id, got))) == 1


def test_the_administrator_and_the_overdue_wall_say_when_reminders_stopped(as_user):
    TaskRun.update(created_at=NOW, last_ok_at=NOW).execute()  # NOW is days before the real clock
    for username, path in (("admin", "/admin/users"), ("gm", "/overdue")):
        page = as_user(username).get(path).get_data(as_text=True)
        assert "提醒和升级自 2026-11-20 10:00 起已停止" in page, username
    fragment = as_user("gm").get("/overdue", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "提醒和升级自" in fragment  # the wall's own refresh brings the warning
    assert "提醒和升级自" not in as_user("front").get("/inbox").get_data(as_text=True)


def test_no_warning_while_the_tasks_run(as_user, app):
    background.run_exclusive("deadline-sweep", lambda: None)
    background.run_exclusive("deliver-messages", lambda: None)
    page = as_user("admin").get("/admin/users").get_data(as_text=True)
    assert "提醒和升级" not in page and "电子邮件和群机器人消息" not in page


def test_a_consumer_that_never_ran_is_noticed(as_user):
    TaskRun.update(created_at=NOW).execute()
    page = as_user("admin").get("/admin/users").get_data(as_text=True)
    assert "提醒和升级还没有运行过" in page

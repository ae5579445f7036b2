"""The periodic tasks' own bookkeeping: one runner at a time, never blocked by a dead one,
and a heartbeat the screens read.

huey's lock_task is a bare key: a consumer killed while holding it (SIGKILL, or the
SIGTERM of an impatient shutdown) leaves it behind and every later consumer skips
the task for good. Here each task takes a lease in the app's database that names
its holder (host, process id, a token made when the process started, thread). The
next runner takes the lease over at once when the holder is a process or thread
of this host that is gone, and otherwise when the lease runs out.

The sweep is safe to run again after a crash (its steps have unique keys and it
writes in one transaction), so taking over never sends anything twice.
"""
import logging
import os
import secrets
import socket
import threading
from datetime import timedelta

from peewee import OperationalError

from models import TaskRun, utcnow, write_transaction

log = logging.getLogger("huey.background")  # the consumer prints the huey.* loggers

LEASE = timedelta(minutes=10)  # longer than any run; a holder on another host is trusted this long
SWEEP, DELIVERY, BACKUP, PRUNE = "deadline-sweep", "deliver-messages", "nightly-backup", "prune-audit-log"
PRUNE_NOTIFICATIONS = "prune-notifications"
RELEASE_TRIES = 3
WATCHED = (SWEEP, DELIVERY)  # a stall of these is shown on screen

HOST = socket.gethostname()
PROCESS_TOKEN = secrets.token_hex(8)  # tells this process from an earlier one that had the same pid


def holder_id():
    return f"{HOST}:{os.getpid()}:{PROCESS_TOKEN}:{threading.get_ident()}"


def holder_alive(holder):
    """True or False when this host can tell; None when only the lease's expiry can."""
    try:
        host, pid, token, thread = holder.rsplit(":", 3)
        pid, thread = int(pid), int(thread)
    except ValueError:
        return None
    if host != HOST:
        return None
    if pid == os.getpid():
        return token == PROCESS_TOKEN and any(t.ident == thread for t in threading.enumerate())
    if os.name != "posix":
        return None  # os.kill(pid, 0) would terminate the process on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def ensure(names=WATCHED, now=None):
    """A row per watched task, so a consumer that never started is noticed too."""
    for name in names:
        TaskRun.insert(name=name, created_at=now or utcnow()).on_conflict_ignore().execute()


def acquire(name, now, holder=None):
    """Take the task's lease; False when a live holder has it."""
    holder = holder or holder_id()
    with write_transaction():
        row = TaskRun.get_or_none(TaskRun.name == name)
        if row is None:
            TaskRun.create(name=name, created_at=now)
        elif row.holder == holder:
            # This very thread holds it, so its last run is over: that run's release failed.
            log.warning("%s: the last run did not give the lease back; taking it again", name)
        elif row.holder and row.lease_until and row.lease_until > now and holder_alive(row.holder) is not False:
            return False
        elif row.holder:
            log.warning("%s: taking over the lease of %s, which is gone", name, row.holder)
        (TaskRun.update(holder=holder, lease_until=now + LEASE, started_at=now)
         .where(TaskRun.name == name).execute())
    return True


def release(name, now, holder=None, error=None):
    """Give the lease back and record how the run ended."""
    fields = {TaskRun.holder: "", TaskRun.lease_until: None}
    if error is None:
        fields[TaskRun.last_ok_at] = now
    else:
        fields.update({TaskRun.last_error: f"{type(error).__name__}: {error}"[:1000], TaskRun.last_error_at: now})
    for attempt in range(RELEASE_TRIES):
        try:
            with write_transaction():
                (TaskRun.update(fields)
                 .where((TaskRun.name == name) & (TaskRun.holder == (holder or holder_id()))).execute())
            return
        except OperationalError:  # busy past busy_timeout; a lease left behind would skip runs until it ran out
            if attempt == RELEASE_TRIES - 1:
                raise
            log.warning("%s: the database was busy when giving the lease back; trying again", name)


def run_exclusive(name, work):
    """work() unless another live runner has the task; None when skipped."""
    if not acquire(name, utcnow()):
        log.info("%s is running elsewhere; skipped", name)
        return None
    try:
        result = work()
    except Exception as error:
        release(name, utcnow(), error=error)
        raise
    release(name, utcnow())
    return result


def stalled(now, after):
    """The watched tasks that have not finished a run for longer than `after`:
    [(name, last finished or None, last error)]; [] when all is well."""
    late = []
    for row in TaskRun.select().where(TaskRun.name.in_(WATCHED)).order_by(TaskRun.name):
        reference = row.last_ok_at or row.created_at
        if now - reference > after:
            error = row.last_error if row.last_error_at and (not row.last_ok_at or row.last_error_at > row.last_ok_at) \
                else ""
            late.append((row.name, row.last_ok_at, error))
    return late

"""Whether the app is running on this instance folder.

Every process of the app (web server workers, the task consumer, a command in
progress) holds a shared lock on instance/running.lock while it lives; the
operating system drops it when the process ends, however it ends. Restoring a
backup needs the lock alone, so it can refuse while anything else has it.
(On Windows, which lacks these locks, restore asks the person to confirm instead.)
"""
import gc
import os
from contextlib import contextmanager

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

_held = {}  # instance folder -> the open lock file of this process


def leave_startup_objects_alone():
    """Leave the objects a process has once it has built the app (its modules, about 70,000
    objects) out of garbage collection from then on: the collections it makes later look only
    at what its work made. A full collection of them took about 20 ms, and in the task consumer
    one sweep in four or so paid it. Each web worker does this too (gunicorn.conf.py)."""
    gc.collect()
    gc.freeze()


def lock_path(instance_path):
    return os.path.join(instance_path, "running.lock")


def hold(instance_path):
    """Take this process's shared lock on the instance (once per folder)."""
    if fcntl is None or instance_path in _held:
        return
    handle = open(lock_path(instance_path), "a")
    fcntl.flock(handle, fcntl.LOCK_SH)
    _held[instance_path] = handle


def release(instance_path):
    handle = _held.pop(instance_path, None)
    if handle:
        handle.close()


@contextmanager
def alone(instance_path):
    """Have the instance to this process alone for the block. Yields True when it has,
    False when another process has the instance open, None when this system cannot
    tell. A process that starts meanwhile waits until the block ends."""
    if fcntl is None:
        yield None
        return
    release(instance_path)
    with open(lock_path(instance_path), "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True  # the lock goes with the file

"""gunicorn's settings beyond the command line (launcher.web_server passes this file)."""


def post_worker_init(worker):
    """Leave the objects a worker starts with (the app and its modules, about 80,000) out of
    garbage collection from then on, so that the collections a busy worker makes look only at
    what requests made. Measured at 100,000 complaints: the inbox pages' p99 at concurrency 1
    went from 52-61 ms to 22-31 ms (p50 and p95 unchanged); without it one request in fifty
    took twice as long as the rest. (Imported here: the worker has loaded the app by now.)"""
    import running
    running.leave_startup_objects_alone()

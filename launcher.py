"""`make run`'s two processes, the web server and the task consumer, kept running together.

Either one that dies (killed, crashed) is started again after a short wait, so a
killed consumer comes back by itself. Ctrl-C or SIGTERM stops both the gentle way:
the consumer gets SIGINT and finishes the task it runs, the web server SIGTERM.
On Linux the children also die with the launcher if it is killed outright.
"""
import ctypes
import ctypes.util
import logging
import os
import signal
import subprocess
import sys
import time

log = logging.getLogger("launcher")
BIN = os.path.dirname(sys.executable)
HERE = os.path.dirname(os.path.abspath(__file__))
STOP_WAIT = 30  # seconds the consumer may take to finish its task when stopping
RESTART_WAITS = (1, 2, 5, 10, 30)  # back-off for a child that keeps dying
STEADY = 60  # a child that ran this long is healthy again


THREADS = 2  # per web server process (see web_server)


def workers():
    """Web server processes: one per core (WEB_WORKERS overrides). Python runs one thread at a
    time per process, so a single process leaves every core but one idle."""
    return int(os.environ.get("WEB_WORKERS") or os.cpu_count() or 1)


def web_server(host, port, threads, processes):
    """gunicorn with `processes` workers of `threads` threads where it runs (Linux, macOS);
    waitress, one process, on Windows. Each process opens the database itself (SQLite's WAL
    lets them read while one writes).

    A gunicorn worker takes no more connections than it has threads, and closes each after
    its answer: a kept-alive connection stays with the worker that took it, and two workers
    that took them as they came split eight browsers 6 to 2 as often as 4 to 4, so one core
    had a queue while the other idled (at concurrency 8 a page's p95 was 6-7 times its time
    alone). A worker with every thread busy now leaves the next connection to one that is
    free. Two threads, not one: a slow upload holds one thread, not a whole worker."""
    gunicorn = os.path.join(BIN, "gunicorn")
    if os.name == "posix" and os.path.exists(gunicorn):
        # --timeout: a worker silent this long is replaced; the longest request (a year's export) is far shorter.
        return [gunicorn, f"--config={os.path.join(HERE, 'gunicorn.conf.py')}", f"--bind={host}:{port}",
                f"--workers={processes}", f"--threads={threads}", f"--worker-connections={threads}",
                "--keep-alive=0", "--worker-class=gthread", "--timeout=120", "--graceful-timeout=20",
                "app:create_app()"]
    return [os.path.join(BIN, "waitress-serve"), f"--host={host}", f"--port={port}",
            f"--threads={threads * processes}", "--call", "app:create_app"]


def commands(host, port, threads, processes=None):
    return {
        "web server": (web_server(host, port, threads, processes or workers()), signal.SIGTERM),
        "task consumer": ([os.path.join(BIN, "huey_consumer"), "tasks.huey", "--workers", "2",
                           "--worker-type", "thread", "--quiet"], signal.SIGINT),
    }


def _dies_with_parent(stop_signal):
    """preexec_fn: Linux sends the child `stop_signal` when the launcher dies."""
    libc_name = ctypes.util.find_library("c")
    if not sys.platform.startswith("linux") or not libc_name:
        return None
    pr_set_pdeathsig = 1

    def arrange():
        ctypes.CDLL(libc_name).prctl(pr_set_pdeathsig, int(stop_signal))
    return arrange


class Child:
    def __init__(self, name, argv, stop_signal):
        self.name, self.argv, self.stop_signal = name, argv, stop_signal
        self.process, self.started, self.failures, self.restart_at = None, 0.0, 0, None

    def start(self):
        # Its own session: a Ctrl-C reaches the launcher only, which stops each child its way.
        self.process = subprocess.Popen(self.argv, start_new_session=os.name == "posix",
                                        preexec_fn=_dies_with_parent(self.stop_signal))
        self.started, self.restart_at = time.monotonic(), None

    def check(self, now):
        """Start it again, after a wait that grows while it keeps dying."""
        if self.process.poll() is None:
            return
        if self.restart_at is None:
            self.failures = 0 if now - self.started > STEADY else self.failures + 1
            wait = RESTART_WAITS[min(self.failures, len(RESTART_WAITS) - 1)]
            log.warning("the %s stopped (exit code %s); starting it again in %s s",
                        self.name, self.process.returncode, wait)
            self.restart_at = now + wait
        elif now >= self.restart_at:
            self.start()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(self.stop_signal)

    def wait(self, deadline):
        if self.process is None:
            return
        try:
            self.process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("the %s did not stop in time; killing it", self.name)
            self.process.kill()
            self.process.wait()


def run(host, port, threads, processes=None, poll=0.5):
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    children = [Child(name, argv, sig) for name, (argv, sig) in commands(host, port, threads, processes).items()]
    stopping = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.append(True))
    for child in children:
        child.start()
    while not stopping:
        time.sleep(poll)
        for child in children:
            child.check(time.monotonic())
    log.info("stopping the web server and the task consumer…")
    for child in children:
        child.stop()
    deadline = time.monotonic() + STOP_WAIT
    for child in children:
        child.wait(deadline)

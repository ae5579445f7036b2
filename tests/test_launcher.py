"""`make run`'s launcher: both processes up, a killed consumer started again, Ctrl-C stops both."""
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from helpers import ROOT

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def children_of(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except FileNotFoundError:
        return []


def command_of(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode()
    except FileNotFoundError:
        return ""


def consumer_pid(launcher):
    found = [p for p in children_of(launcher.pid) if "huey_consumer" in command_of(p)]
    return found[0] if found else None


def wait_for(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("gave up waiting")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(url):
    try:
        return urllib.request.urlopen(url, timeout=2).status == 200
    except OSError:
        return False


def test_serve_restarts_a_killed_consumer_and_ctrl_c_stops_both(tmp_path):
    port = free_port()
    env = {**os.environ, "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/c.db"}
    flask = os.path.join(os.path.dirname(sys.executable), "flask")
    subprocess.run([flask, "--app", "app", "init-db"], cwd=ROOT, env=env, check=True, capture_output=True)
    launcher = subprocess.Popen([flask, "--app", "app", "serve", f"--port={port}"], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: answers(f"http://127.0.0.1:{port}/login"))
        first = wait_for(lambda: consumer_pid(launcher))
        os.kill(first, signal.SIGKILL)
        second = wait_for(lambda: (consumer_pid(launcher) or first) != first and consumer_pid(launcher))
        assert second != first
        children = children_of(launcher.pid)
        launcher.send_signal(signal.SIGINT)
        launcher.wait(40)
        output = launcher.stdout.read().decode()
        assert "the task consumer stopped" in output and "starting it again" in output
        assert not any(os.path.exists(f"/proc/{pid}") and "zombie" not in open(f"/proc/{pid}/status").read().lower()
                       for pid in children), "a child outlived the launcher"
        assert not answers(f"http://127.0.0.1:{port}/login")
    finally:
        launcher.kill()


def test_web_workers_leave_what_they_start_with_out_of_garbage_collection():
    """The server is started with gunicorn.conf.py, whose hook freezes a worker's starting objects:
    full collections then skip them (they made one request in fifty twice as slow)."""
    import gc
    import runpy

    import launcher
    argv = launcher.web_server("127.0.0.1", 8000, 4, 2)
    if os.path.basename(argv[0]) != "gunicorn":
        pytest.skip("waitress serves here")
    config = next(a for a in argv if a.startswith("--config=")).removeprefix("--config=")
    assert os.path.isfile(config)
    try:
        runpy.run_path(config)["post_worker_init"](None)
        assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()

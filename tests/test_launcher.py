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


def connections_held(pid, port):
    """Established TCP connections to `port` that the process `pid` holds."""
    sockets = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            sockets.add(target[len("socket:["):-1])
    with open("/proc/net/tcp") as f:
        rows = [line.split() for line in f.readlines()[1:]]
    return sum(1 for row in rows if int(row[1].split(":")[1], 16) == port and row[3] == "01" and row[9] in sockets)


def test_a_web_worker_with_every_thread_busy_leaves_the_next_connection_to_another(tmp_path):
    """A connection stays with the worker that took it. Two workers that took connections as they
    came split eight browsers 6 to 2 as often as 4 to 4, and one core had a queue while the other
    idled. Each worker now holds no more connections than it has threads, and closes each once
    it has answered."""
    import launcher
    argv = launcher.web_server("127.0.0.1", free_port(), launcher.THREADS, 2)
    if os.path.basename(argv[0]) != "gunicorn":
        pytest.skip("waitress serves here")
    port = int(next(a for a in argv if a.startswith("--bind=")).rsplit(":", 1)[1])
    env = {**os.environ, "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/c.db"}
    flask = os.path.join(os.path.dirname(sys.executable), "flask")
    subprocess.run([flask, "--app", "app", "init-db"], cwd=ROOT, env=env, check=True, capture_output=True)
    server = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    held = []
    try:
        wait_for(lambda: answers(f"http://127.0.0.1:{port}/login"))
        workers = wait_for(lambda: len(children_of(server.pid)) == 2 and children_of(server.pid))
        # Browsers in the middle of asking: each connection holds a thread until its request is complete.
        for _ in range(2 * launcher.THREADS):
            connection = socket.create_connection(("127.0.0.1", port), timeout=10)
            connection.sendall(b"GET /login HTTP/1.1\r\nHost: desk\r\n")
            held.append(connection)
        wait_for(lambda: sorted(connections_held(pid, port) for pid in workers) == [launcher.THREADS] * 2)
        for connection in held:
            connection.sendall(b"\r\n")
            answer = b""
            while chunk := connection.recv(65536):  # until the server closes it
                answer += chunk
            head = answer.split(b"\r\n\r\n", 1)[0].lower()
            assert head.startswith(b"http/1.1 200") and b"connection: close" in head
    finally:
        for connection in held:
            connection.close()
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)

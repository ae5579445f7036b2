"""The load generator of `make bench`, run as its own process so it takes no time from the server.

Reads {"host", "port", "cases": [{"name", "path", "cookie", "htmx"}], "levels": [1, 8],
(a case's "path" may be a list: each request then asks for the next one, round the list),
"requests": {"1": n, "8": n}, "seconds": s} as JSON on stdin; for each case and concurrency
level, `level` threads each send GETs over one HTTP/1.1 connection, one after another, until
the level's requests are done or `seconds` have passed. A server that closes the connection
after each answer (as `make run`'s does) has it opened again inside the timed request, as a
browser's would be. Writes, as JSON on stdout,
{case name: {level: {"p50", "p95", "p99", "mean" (ms), "rps", "requests", "bytes"}}}.
A response that is not 200 stops the run: a benchmark of error pages would flatter the app.
"""
import http.client
import itertools
import json
import math
import sys
import threading
import time

WARM_UP = 3  # requests per connection before timing: templates compiled, connections made


def percentile(values, share):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def fetch(connection, case):
    path = case["path"] if isinstance(case["path"], str) else case["path"][next(case["turn"]) % len(case["path"])]
    headers = {"Cookie": case.get("cookie", ""), "Accept-Encoding": "identity"}
    if case.get("htmx"):
        headers["HX-Request"] = "true"
    start = time.perf_counter()
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
    except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
        # the server closed a kept-alive connection that sat idle (when it keeps them: a
        # few seconds), as a browser would see it: connect again, untimed
        connection.close()
        start = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - start
    if response.status != 200:
        raise RuntimeError(f"{case['name']}: {path} answered {response.status}")
    return elapsed, len(body)


def run_level(host, port, case, level, requests, seconds):
    samples, sizes, errors = [], [], []
    lock = threading.Lock()
    left = [requests]
    stop_at = [None]
    ready = threading.Barrier(level + 1)

    def worker():
        connection = http.client.HTTPConnection(host, port, timeout=60)
        try:
            for _ in range(WARM_UP):
                fetch(connection, case)
            ready.wait()
            while True:
                with lock:
                    if left[0] <= 0 or time.perf_counter() > stop_at[0]:
                        return
                    left[0] -= 1
                elapsed, size = fetch(connection, case)
                with lock:
                    samples.append(elapsed)
                    sizes.append(size)
        except Exception as error:  # reported after the run
            errors.append(error)
            try:
                ready.abort()
            except threading.BrokenBarrierError:
                pass
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(level)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + 3600
    try:
        ready.wait()
    except threading.BrokenBarrierError:
        pass
    began = time.perf_counter()
    stop_at[0] = began + seconds
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    if errors:
        raise errors[0]
    ms = [s * 1000 for s in samples]
    return {"p50": round(percentile(ms, 0.50), 1), "p95": round(percentile(ms, 0.95), 1),
            "p99": round(percentile(ms, 0.99), 1), "mean": round(sum(ms) / len(ms), 1),
            "rps": round(len(ms) / wall, 1), "requests": len(ms), "bytes": sizes[-1]}


def main():
    plan = json.load(sys.stdin)
    results = {}
    for case in plan["cases"]:
        case["turn"] = itertools.count()  # (thread-safe: the next path of a list)
        results[case["name"]] = {}
        for level in plan["levels"]:
            results[case["name"]][str(level)] = run_level(plan["host"], plan["port"], case, level,
                                                          plan["requests"][str(level)], plan["seconds"])
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()

"""A bounded load generator (run as its own process): `threads` keep-alive connections to
a server on loopback, GET `path` with a session cookie for `seconds`, then a JSON report."""

import argparse
import http.client
import json
import statistics
import threading
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--cookie", required=True)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=15)
    arguments = parser.parse_args()
    deadline = time.monotonic() + min(arguments.seconds, 120)  # never longer than two minutes
    latencies, errors, lock = [], [0], threading.Lock()

    def worker():
        connection = http.client.HTTPConnection("127.0.0.1", arguments.port, timeout=30)
        headers = {"Cookie": arguments.cookie, "Host": "127.0.0.1", "X-Forwarded-Proto": "https"}
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                connection.request("GET", arguments.path, headers=headers)
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", arguments.port, timeout=30)
            elapsed = time.perf_counter() - started
            with lock:
                if ok:
                    latencies.append(elapsed)
                else:
                    errors[0] += 1
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(arguments.threads)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    duration = time.monotonic() - started
    latencies.sort()
    print(
        json.dumps(
            {
                "requests": len(latencies),
                "errors": errors[0],
                "seconds": duration,
                "per_second": len(latencies) / duration,
                "p50_ms": statistics.median(latencies) * 1000 if latencies else None,
                "p95_ms": latencies[int(len(latencies) * 0.95)] * 1000 if latencies else None,
            }
        )
    )


if __name__ == "__main__":
    main()

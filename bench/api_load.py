"""A bounded write load (run as its own process): `threads` keep-alive connections to a
server on loopback POST `total` JSON bodies (one request each) with a personal token, then
a JSON report."""

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
    parser.add_argument("--token", required=True)
    parser.add_argument("--body", required=True, help="JSON")
    parser.add_argument("--total", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=4)
    arguments = parser.parse_args()
    body = arguments.body.encode()
    headers = {
        "Authorization": f"Bearer {arguments.token}",
        "Content-Type": "application/json",
        "Host": "127.0.0.1",
        "X-Forwarded-Proto": "https",
    }
    remaining, latencies, errors, lock = [arguments.total], [], [], threading.Lock()

    def worker():
        connection = http.client.HTTPConnection("127.0.0.1", arguments.port, timeout=60)
        while True:
            with lock:
                if remaining[0] <= 0:
                    break
                remaining[0] -= 1
            started = time.perf_counter()
            try:
                connection.request("POST", arguments.path, body=body, headers=headers)
                response = connection.getresponse()
                content = response.read()
                ok = response.status == 201
            except (OSError, http.client.HTTPException) as error:
                ok, content = False, str(error).encode()
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", arguments.port, timeout=60)
            elapsed = time.perf_counter() - started
            with lock:
                if ok:
                    latencies.append(elapsed)
                elif len(errors) < 5:
                    errors.append(content[:300].decode(errors="replace"))
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
                "errors": arguments.total - len(latencies),
                "first_errors": errors,
                "seconds": duration,
                "per_second": len(latencies) / duration,
                "p50_ms": statistics.median(latencies) * 1000 if latencies else None,
                "p95_ms": latencies[int(len(latencies) * 0.95)] * 1000 if latencies else None,
            }
        )
    )


if __name__ == "__main__":
    main()

"""A bounded write load (run as its own process): `connections` keep-alive connections to a
server on loopback, each in a process of its own (no GIL shared between them), POST
`total` JSON bodies (one request each) with a personal token, then a JSON report.

A connection that the server closes (gunicorn's sync workers close each one after its
response) is opened again by http.client for the next request."""

import argparse
import http.client
import json
import multiprocessing
import statistics
import time


def _connection_worker(arguments, share: int, start_at: float, results) -> None:
    body = arguments.body.encode()
    headers = {
        "Authorization": f"Bearer {arguments.token}",
        "Content-Type": "application/json",
        "Host": "127.0.0.1",
        "X-Forwarded-Proto": "https",
    }
    latencies, errors, error_count = [], [], 0
    connection = http.client.HTTPConnection("127.0.0.1", arguments.port, timeout=60)
    while time.time() < start_at:  # all connections start together
        time.sleep(0.001)
    for _ in range(share):
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
        if ok:
            latencies.append(elapsed)
        else:
            error_count += 1
            if len(errors) < 5:
                errors.append(content[:300].decode(errors="replace"))
    connection.close()
    results.put((latencies, error_count, errors, time.time()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--body", required=True, help="JSON")
    parser.add_argument("--total", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=4)
    arguments = parser.parse_args()
    count = arguments.connections
    shares = [arguments.total // count + (1 if index < arguments.total % count else 0) for index in range(count)]
    results = multiprocessing.Queue()
    start_at = time.time() + 0.5
    processes = [
        multiprocessing.Process(target=_connection_worker, args=(arguments, share, start_at, results))
        for share in shares
    ]
    for process in processes:
        process.start()
    reports = [results.get(timeout=3600) for _ in processes]
    for process in processes:
        process.join()
    # Requests per second over the whole load: from the common start to the last one done.
    duration = max(finished for *_, finished in reports) - start_at
    latencies = sorted(latency for report in reports for latency in report[0])
    errors = [message for report in reports for message in report[2]][:5]
    print(
        json.dumps(
            {
                "requests": len(latencies),
                "errors": sum(report[1] for report in reports),
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

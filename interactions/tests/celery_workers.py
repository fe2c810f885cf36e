"""Real Celery workers for tests (the purge and the e-mail tests): started as subprocesses
on a queue of their own, with the Redis broker, against the test database (PostgreSQL:
workers are other processes and cannot see SQLite's in-memory test database)."""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

# Every wait is for a condition, bounded: a broken worker fails the test instead of hanging
# it. Generous, for a machine whose cores other work shares (a worker takes seconds to start
# there, and a purge of a few thousand entries tens of seconds).
WAIT_SECONDS = 60


def wait_until(condition: Callable[[], object], *, what: str, seconds: float = WAIT_SECONDS, every: float = 0.05):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    pytest.fail(f"timed out after {seconds} s waiting until {what}")


def worker_database_url() -> str:
    params = connection.settings_dict
    credentials = quote(params["USER"] or "", safe="")
    if params["PASSWORD"]:
        credentials += ":" + quote(params["PASSWORD"], safe="")
    host = params["HOST"] or "localhost"
    port = f":{params['PORT']}" if params["PORT"] else ""
    return f"postgres://{credentials}@{host}{port}/{params['NAME']}"


class Workers:
    """Celery workers started for one test, on a queue of its own, against the test database."""

    def __init__(self, *, broker_url: str, log_dir: Path, media_root: Path, queue_prefix: str = "purge-test"):
        self.queue = f"{queue_prefix}-{uuid.uuid4().hex[:10]}"
        self.broker_url = broker_url
        self.log_dir = log_dir
        self.media_root = media_root
        self.processes: list[tuple[subprocess.Popen, Path]] = []

    def start(
        self, *, pool: str = "solo", concurrency: int = 1, arguments: tuple[str, ...] = (), **environment: str
    ) -> subprocess.Popen:
        """A worker on the test's queue; `pool` and `concurrency` as Celery's options,
        `arguments` more of them (such as --beat), `environment` what its settings read."""
        name = f"{self.queue}-{len(self.processes)}"
        log = self.log_dir / f"{name}.log"
        env = {
            **os.environ,
            "DATABASE_URL": worker_database_url(),
            "CELERY_BROKER_URL": self.broker_url,
            "MEDIA_ROOT": str(self.media_root),
            # Redeliver a dead worker's task after 5 s instead of an hour.
            "CELERY_VISIBILITY_TIMEOUT": "5",
            **environment,
        }
        for inherited in ("REQUIRE_SERVICES", "CELERY_RESULT_BACKEND"):
            env.pop(inherited, None)
        command = [
            sys.executable, "-m", "celery", "-A", "crm", "worker", f"--pool={pool}", f"--concurrency={concurrency}",
            "-Q", self.queue, "-n", f"{name}@%h", "--without-gossip", "--without-mingle",
            "--without-heartbeat", "--loglevel=INFO", *arguments,
        ]  # fmt: skip
        with log.open("wb") as output:
            process = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT)
        self.processes.append((process, log))
        wait_until(
            lambda: process.poll() is not None or b" ready." in log.read_bytes(),
            what=f"worker {name} is ready",
        )
        if process.poll() is not None:
            pytest.fail(f"worker {name} did not start:\n{log.read_text(errors='replace')}")
        return process

    def logs(self) -> str:
        return "\n".join(log.read_text(errors="replace") for _process, log in self.processes)

    @staticmethod
    def stop(process: subprocess.Popen) -> None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=WAIT_SECONDS)  # a warm shutdown finishes the task at hand
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=WAIT_SECONDS)

    def stop_all(self) -> None:
        for process, _log in self.processes:
            self.stop(process)

    def forget_queue(self, redis_client) -> None:
        """Remove the queue's keys from the broker."""
        queue = self.queue
        redis_client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")

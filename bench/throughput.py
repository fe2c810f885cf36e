"""Throughput of the log page under gunicorn (the README's production command), loaded from
a second process on loopback for a bounded time."""

import json
import os
import subprocess
import sys
import time
import urllib.request

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.db import SessionStore

from .common import record

PORT = 8097


def _session_cookie() -> str:
    user, _created = get_user_model().objects.get_or_create(username="bench-manager")
    user.groups.add(Group.objects.get(name="Sales manager"))
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def _wait_until_up(deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/accounts/login/", timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not start")


def main(*, workers: int, threads: int, seconds: float, entries: str) -> None:
    cookie = _session_cookie()
    environment = {**os.environ, "DEBUG": "0", "SECURE_SSL_REDIRECT": "0", "ALLOWED_HOSTS": "127.0.0.1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "crm.wsgi", "--bind", f"127.0.0.1:{PORT}", "--workers", str(workers),
         "--log-level", "warning"],
        env=environment,
    )  # fmt: skip
    try:
        _wait_until_up(time.monotonic() + 30)
        rows = []
        for path in ["/interactions/log/", "/interactions/log/?page=500"]:
            completed = subprocess.run(
                [sys.executable, "-m", "bench.load", "--port", str(PORT), "--path", path, "--cookie", cookie,
                 "--threads", str(threads), "--seconds", str(seconds)],
                capture_output=True, text=True, check=True, timeout=seconds + 60,
            )  # fmt: skip
            report = json.loads(completed.stdout.strip().splitlines()[-1])
            rows.append(
                {
                    "entries": entries,
                    "page": path,
                    "gunicorn workers": workers,
                    "client threads": threads,
                    "requests/s": report["per_second"],
                    "p50 ms": report["p50_ms"],
                    "p95 ms": report["p95_ms"],
                    "errors": report["errors"],
                    "requests": report["requests"],
                }
            )
        record("throughput", rows, notes=[f"{seconds:.0f} s per page; load generator in a second process"])
    finally:
        server.terminate()
        server.wait(timeout=30)

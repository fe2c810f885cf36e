"""Helpers of the tests where Redis (the broker and the result backend) cannot be reached:
this process's Celery app pointed at another address, and a request that must answer
within a bound (run in a thread, so that a hang fails the test instead of holding it)."""

import contextlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

import pytest
from django.db import connections

from crm.celery import app

T = TypeVar("T")

# A page must answer well within this, even on a busy machine; before the fix it took
# about 19 s and then answered 500.
ANSWER_SECONDS = 10


@contextlib.contextmanager
def celery_pointed_at(url: str) -> Iterator[None]:
    """This process queues tasks at `url` and keeps results there too (not in-process)."""
    conf = app.conf
    names = ("task_always_eager", "broker_url", "broker_write_url", "broker_read_url", "result_backend")
    saved = {name: conf.get(name) for name in names}
    saved_pools = app._pool, app.amqp._producer_pool, app._backend_cache, app._local
    conf.task_always_eager = False
    conf.broker_url = conf.broker_write_url = conf.broker_read_url = url
    conf.result_backend = url
    # Celery keeps its connection pools and result backend once made: new ones for `url`.
    app._pool = app.amqp._producer_pool = app._backend_cache = None
    app._local = threading.local()
    try:
        yield
    finally:
        for name, value in saved.items():
            conf[name] = value
        app._pool, app.amqp._producer_pool, app._backend_cache, app._local = saved_pools


def answered_within(request: Callable[[], T], *, seconds: float = ANSWER_SECONDS, what: str = "the page") -> T:
    """`request()`'s answer, run in another thread; the test fails when it takes longer
    than `seconds` (a hung request is left behind, its thread is a daemon's)."""

    def run() -> T:
        try:
            return request()
        finally:
            connections.close_all()  # this thread's own database connection

    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(run)
    try:
        return future.result(timeout=seconds)
    except FutureTimeout:
        pytest.fail(f"{what} did not answer within {seconds} s")
    finally:
        pool.shutdown(wait=False)

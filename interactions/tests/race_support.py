"""Two users' requests at the same time, on PostgreSQL: each in a thread of its own, with a
database connection of its own (Django's connections are per thread), in tests with
`transaction=True` (what a thread commits, the others see).

`Racer` runs a service call in a thread. Held open (`hold=True`), its transaction waits
after the call, before its commit, until `commit()`: another request then runs while the
first one's locks are held, and `wait_blocked_or_done` tells whether it waited for them.
Every wait has a generous deadline: the machine may be busy. Take racers from the `racers`
fixture: whatever the test's outcome, it releases the held transactions and ends the
threads before the test's database is flushed."""

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections, transaction

from .celery_workers import wait_until

DEADLINE_SECONDS = 60


def at_once(*calls: Callable[[], object]) -> list[Callable[[], object]]:
    """The calls, each waiting for the others to be ready before it starts."""
    start = threading.Barrier(len(calls), timeout=DEADLINE_SECONDS)

    def starting_together(call):
        def run():
            start.wait()
            return call()

        return run

    return [starting_together(call) for call in calls]


@pytest.fixture
def racers():
    started: list[Racer] = []

    def racer(call: Callable[[], object], *, hold: bool = False) -> Racer:
        started.append(Racer(call, hold=hold))
        return started[-1]

    yield racer
    for each in started:
        each.commit()
    for each in started:
        each.end()


def second_connection():
    """A PostgreSQL connection of its own (psycopg, outside Django), as another user's
    request or a database client would have; the caller closes it."""
    import psycopg

    params = connection.settings_dict
    return psycopg.connect(
        dbname=params["NAME"],
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        host=params["HOST"] or None,
        port=params["PORT"] or None,
    )


class Racer:
    def __init__(self, call: Callable[[], object], *, hold: bool = False):
        self.call = call
        self.hold = hold
        self.result: object = None
        self.error: BaseException | None = None
        self.backend_pid: int | None = None
        self.called = threading.Event()
        self.done = threading.Event()
        self._commit = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.backend_pid = cursor.fetchone()[0]
            with transaction.atomic():
                self.result = self.call()
                self.called.set()
                if self.hold and not self._commit.wait(DEADLINE_SECONDS):
                    raise TimeoutError("the held transaction was never released")
        except BaseException as error:  # noqa: BLE001 - handed to the test thread
            self.error = error
        finally:
            self.called.set()
            connections.close_all()
            self.done.set()

    def start(self) -> "Racer":
        self._thread.start()
        wait_until(lambda: self.backend_pid is not None or self.done.is_set(), what="the thread has connected")
        return self

    def wait_called(self) -> "Racer":
        wait_until(self.called.is_set, what="the call has run", seconds=DEADLINE_SECONDS)
        return self

    def commit(self) -> None:
        self._commit.set()

    def end(self) -> None:
        if self._thread.is_alive():
            self._thread.join(DEADLINE_SECONDS)

    def join(self) -> object:
        """The call's result once its transaction has ended; its exception is raised here."""
        self.end()
        if self._thread.is_alive():
            pytest.fail(f"the racing call did not end within {DEADLINE_SECONDS} s")
        if self.error is not None:
            raise self.error
        return self.result

    def is_waiting_for_a_lock(self) -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [self.backend_pid])
            row = cursor.fetchone()
        return bool(row) and row[0] == "Lock"

    def wait_blocked_or_done(self) -> bool:
        """Wait until the call's transaction has ended or waits for a lock another
        transaction holds; True when it waits."""
        wait_until(
            lambda: self.done.is_set() or self.is_waiting_for_a_lock(),
            what="the call has finished or waits for a lock",
            seconds=DEADLINE_SECONDS,
        )
        return not self.done.is_set()

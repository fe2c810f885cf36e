"""The Celery task interactions.tasks.purge_canceled_interactions.

In-process runs test what the task adds to the service (JSON filters, the nightly cutoff,
the archive directory, the user's permission). The rest runs on real Celery workers with
the Redis broker against the test database (PostgreSQL: workers are other processes and
cannot see SQLite's in-memory test database): progress on the page, a run that re-queues
itself, one purge at a time, a lost database connection, and a worker killed mid-purge.
"""

import datetime
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.utils import timezone

from interactions.models import InteractionComment, InteractionLogEntry, PurgeRun
from interactions.services.purge.runs import PURGE_LOCK_NAME, RunControl, purge_progress, run_purge
from interactions.tasks import purge_canceled_interactions as purge_task

from .celery_workers import WAIT_SECONDS, Workers, wait_until
from .factories import InteractionLogEntryFactory, PersonFactory, UserFactory
from .purge_support import archive_lines, canceled_entry, many_entries
from .race_support import second_connection

# --- In-process ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_task_deletes_the_canceled_entries_its_json_filters_match():
    contact = PersonFactory()
    going = canceled_entry(contact=contact, date=datetime.date(2024, 6, 1))
    staying = [
        canceled_entry(contact=contact, date=datetime.date(2024, 7, 1)),
        canceled_entry(date=datetime.date(2024, 6, 1)),
        InteractionLogEntryFactory(contact=contact, date=datetime.date(2024, 6, 1)),
    ]

    outcome = purge_task.apply(
        kwargs={"filters": {"contact_id": contact.pk, "date_to": "2024-06-30"}, "batch_size": 10}
    ).get()

    assert outcome["deleted"] == 1 and outcome["continued_as"] is None
    assert not InteractionLogEntry.objects.filter(pk=going.pk).exists()
    assert InteractionLogEntry.objects.filter(pk__in=[e.pk for e in staying]).count() == 3


@pytest.mark.django_db
def test_running_the_task_again_deletes_only_what_is_left():
    [canceled_entry() for _ in range(3)]
    assert purge_task.apply(kwargs={"batch_size": 2}).get()["deleted"] == 3
    later = canceled_entry()
    kept = InteractionLogEntryFactory()

    assert purge_task.apply(kwargs={"batch_size": 2}).get()["deleted"] == 1

    assert not InteractionLogEntry.objects.filter(pk=later.pk).exists()
    assert list(InteractionLogEntry.objects.all()) == [kept]


@pytest.mark.django_db
def test_the_task_dry_run_counts_and_deletes_nothing():
    entries = [canceled_entry() for _ in range(2)]
    outcome = purge_task.apply(kwargs={"dry_run": True}).get()
    assert (outcome["deleted"], outcome["total"]) == (0, 2)
    assert InteractionLogEntry.objects.filter(pk__in=[e.pk for e in entries]).count() == 2


@pytest.mark.django_db
def test_the_nightly_run_deletes_only_entries_canceled_more_than_the_days_ago():
    now = timezone.now()
    old = canceled_entry(canceled_changed_at=now - datetime.timedelta(days=31))
    recent = canceled_entry(canceled_changed_at=now - datetime.timedelta(days=29))

    assert purge_task.apply(kwargs={"canceled_days_ago": 30}).get()["deleted"] == 1

    assert not InteractionLogEntry.objects.filter(pk=old.pk).exists()
    assert InteractionLogEntry.objects.filter(pk=recent.pk).exists()


@pytest.mark.django_db
def test_the_task_checks_the_permission_of_whoever_asked():
    entry = canceled_entry()
    with pytest.raises(PermissionDenied):
        purge_task.apply(kwargs={"user_id": UserFactory(groups=["Sales staff"]).pk}).get()
    assert InteractionLogEntry.objects.filter(pk=entry.pk).exists()

    assert purge_task.apply(kwargs={"user_id": UserFactory(groups=["Sales manager"]).pk}).get()["deleted"] == 1


@pytest.mark.django_db
def test_task_runs_archive_into_the_configured_directory(settings, tmp_path):
    settings.INTERACTIONS_PURGE_ARCHIVE_DIR = str(tmp_path / "archives")
    entries = [canceled_entry() for _ in range(2)]

    outcome = purge_task.apply(kwargs={}).get()

    archive = Path(outcome["archive_path"])
    assert archive.parent == tmp_path / "archives"
    assert [line["entry_no"] for line in archive_lines(archive)] == [e.pk for e in entries]


def beat_schedule_in_a_new_process(environment: dict[str, str]) -> str:
    """What crm.settings makes of `environment`, read by a fresh interpreter."""
    finished = subprocess.run(
        [sys.executable, "-c", "from crm import settings; print(getattr(settings, 'CELERY_BEAT_SCHEDULE', None))"],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return finished.stdout.strip()


def test_the_nightly_schedule_exists_only_when_the_setting_is_set():
    without = {key: value for key, value in os.environ.items() if key != "INTERACTIONS_PURGE_AFTER_DAYS"}

    scheduled = beat_schedule_in_a_new_process({**without, "INTERACTIONS_PURGE_AFTER_DAYS": "90"})

    assert "'task': 'interactions.tasks.purge_canceled_interactions'" in scheduled
    assert "'kwargs': {'canceled_days_ago': 90}" in scheduled
    assert "<crontab: 30 2 * * * (m/h/dM/MY/d)>" in scheduled
    unscheduled = beat_schedule_in_a_new_process(without)
    assert "purge-canceled-interactions" not in unscheduled
    # The recovery sweep is always scheduled.
    assert "'task': 'interactions.tasks.recover_queued_work'" in unscheduled


# --- On real workers -------------------------------------------------------------------------


@pytest.fixture
def workers(postgresql, redis_broker, tmp_path, settings):
    app = purge_task.app
    saved_eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    lock_store = redis.Redis.from_url(redis_broker)
    lock_store.delete(PURGE_LOCK_NAME)  # left by an earlier killed run, it would only delay this one
    started = Workers(broker_url=redis_broker, log_dir=tmp_path, media_root=Path(settings.MEDIA_ROOT))
    yield started
    started.stop_all()
    app.conf.task_always_eager = saved_eager
    queue = started.queue
    lock_store.delete(PURGE_LOCK_NAME, queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    print(started.logs())  # pytest shows it when the test failed


# Tests on workers use django_db(transaction=True): workers see only committed rows.


def canceled_left() -> int:
    return InteractionLogEntry.objects.filter(canceled=True).count()


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgresql
@pytest.mark.redis
def test_the_page_queues_the_purge_and_follows_it_to_the_result(workers, settings):
    settings.INTERACTIONS_PURGE_QUEUE = workers.queue
    # Batches of 10, in the worker (which reads its own environment, not these settings).
    workers.start(INTERACTIONS_PURGE_BATCH_SIZE="10", INTERACTIONS_PURGE_BATCH_PAUSE="0.2")
    canceled, kept = many_entries(60, canceled_every=6)  # 50 canceled
    # The last batch waits for this row lock until the page has shown the purge under way:
    # however busy the machine, the test sees the progress (the whole purge may otherwise
    # take less than one poll of the page).
    holder = second_connection()
    holder.execute("SELECT 1 FROM interactions_interactionlogentry WHERE entry_no = %s FOR UPDATE", [max(canceled)])
    # A manager's permission, given directly: earlier transactional tests flushed the groups
    # that a data migration creates (permissions are created again after a flush).
    manager = UserFactory()
    manager.user_permissions.add(Permission.objects.get(codename="purge_interactionlogentry"))
    client = Client()
    client.force_login(manager)

    try:
        response = client.post("/interactions/purge/", {})

        assert response.status_code == 302
        progress_url = response["Location"]
        assert progress_url.startswith("/interactions/purge/")
        page = client.get(progress_url).content.decode()
        assert 'hx-trigger="every 1s"' in page
        fragments = []

        def shows(text: str):
            def condition() -> bool:
                fragments.append(client.get(progress_url, headers={"HX-Request": "true"}).content.decode())
                return text in fragments[-1]

            return condition

        wait_until(shows("deleted so far"), what="the page shows the purge under way", every=0.1)
        assert 'hx-trigger="every 1s"' in fragments[-1]
    finally:
        holder.rollback()
        holder.close()
    wait_until(shows("have been deleted"), what="the page shows the result", every=0.1)
    assert "50 interaction log entries have been deleted." in fragments[-1]
    assert "hx-trigger" not in fragments[-1]  # polling stops
    assert set(InteractionLogEntry.objects.values_list("entry_no", flat=True)) == kept


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgresql
@pytest.mark.redis
def test_a_run_out_of_time_re_queues_itself_and_the_purge_completes(workers):
    workers.start(INTERACTIONS_PURGE_SOFT_TIME_LIMIT="1", INTERACTIONS_PURGE_BATCH_PAUSE="0.1")
    canceled, kept = many_entries(220, canceled_every=11)  # 200 canceled

    first = purge_task.apply_async(kwargs={"batch_size": 10}, queue=workers.queue)

    first_run = first.get(timeout=WAIT_SECONDS)
    assert first_run["continued_as"] is not None
    assert 0 < first_run["deleted"] < 200
    progress = wait_until(lambda: (p := purge_progress(first.id)).finished and p, what="the re-queued runs finish")
    assert (progress.state, progress.deleted) == ("done", 200)
    assert set(InteractionLogEntry.objects.values_list("entry_no", flat=True)) == kept


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgresql
@pytest.mark.redis
def test_two_purges_never_run_at_once(workers, redis_broker):
    workers.start(INTERACTIONS_PURGE_LOCK_TIMEOUT="1")
    many_entries(20)
    running = redis.Redis.from_url(redis_broker).lock(PURGE_LOCK_NAME, timeout=WAIT_SECONDS)
    assert running.acquire(blocking=False)  # another purge is running

    waiting = purge_task.apply_async(kwargs={}, queue=workers.queue)
    progress = wait_until(
        lambda: (p := purge_progress(waiting.id)).state == "waiting" and p, what="the second purge waits"
    )
    assert "Another purge of canceled interaction log entries is running." in progress.error
    assert canceled_left() == 20

    running.release()
    assert waiting.get(timeout=WAIT_SECONDS)["deleted"] == 20
    assert canceled_left() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgresql
@pytest.mark.redis
def test_a_purge_retries_when_its_database_connection_is_lost(workers):
    workers.start(INTERACTIONS_PURGE_BATCH_PAUSE="0.1")
    canceled, kept = many_entries(330, canceled_every=11)  # 300 canceled

    result = purge_task.apply_async(kwargs={"batch_size": 10}, queue=workers.queue)
    wait_until(lambda: canceled_left() < 280, what="the purge is under way")
    with connection.cursor() as cursor:  # the database drops the worker's connection
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        assert cursor.fetchone() is not None

    assert result.get(timeout=WAIT_SECONDS)["deleted"] == 300  # the run before the retry counts too
    assert "Retry in" in workers.logs()
    assert canceled_left() == 0
    assert set(InteractionLogEntry.objects.values_list("entry_no", flat=True)) == kept


def handed_out_at(broker_url: str) -> float:
    """When the broker handed out its newest unacknowledged task (kombu's Redis transport
    keeps the time, of this machine's clock, in the sorted set "unacked_index")."""
    handed_out = redis.Redis.from_url(broker_url).zrange("unacked_index", 0, -1, withscores=True)
    assert handed_out, "the broker has no unacknowledged task"
    return max(score for _tag, score in handed_out)


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgresql
@pytest.mark.redis
def test_a_purge_completes_on_another_worker_when_its_worker_is_killed(workers):
    environment = {"INTERACTIONS_PURGE_BATCH_PAUSE": "0.1", "INTERACTIONS_PURGE_LOCK_TIMEOUT": "2"}
    first_worker = workers.start(**environment)
    canceled, kept = many_entries(3300, canceled_every=11)  # 3000 canceled, 300 kept
    comments = [InteractionComment(entry_id=number, text="Noted") for number in sorted(canceled | kept)[::10]]
    InteractionComment.objects.bulk_create(comments)
    kept_comments = InteractionComment.objects.filter(entry_id__in=kept).count()
    assert kept_comments > 0

    result = purge_task.apply_async(kwargs={"batch_size": 50}, queue=workers.queue)
    wait_until(lambda: canceled_left() <= 2700, what="the first worker has deleted a few batches")
    first_worker.kill()  # SIGKILL: no clean-up, the task is neither finished nor acknowledged
    first_worker.wait(timeout=WAIT_SECONDS)
    left_by_the_dead_worker = canceled_left()
    assert 0 < left_by_the_dead_worker < 3000

    # The broker hands the unacknowledged task out again once its visibility timeout (5 s)
    # has passed since it handed it to the dead worker; a worker looks for such tasks when
    # it starts (and then only every 100 s). The dead worker's lock has expired by then (2 s).
    handed_out = handed_out_at(workers.broker_url)
    wait_until(lambda: time.time() > handed_out + 5.5, what="the task's visibility timeout has passed")
    workers.start(INTERACTIONS_PURGE_LOCK_TIMEOUT="2")

    outcome = result.get(timeout=WAIT_SECONDS)
    # The whole purge is reported, what the dead worker deleted included, exactly: each
    # batch counted what it deleted in its own transaction.
    assert outcome["deleted"] == 3000
    assert purge_progress(result.id).deleted == 3000
    assert canceled_left() == 0
    assert set(InteractionLogEntry.objects.values_list("entry_no", flat=True)) == kept
    assert InteractionComment.objects.count() == kept_comments


# --- The count and the state after a crash -------------------------------------------------


class WorkerDied(BaseException):
    """The worker's process ending at that very point (nothing after it runs)."""


@pytest.mark.django_db
@pytest.mark.redis
def test_a_crash_between_a_batchs_commit_and_its_progress_report_still_counts_exactly(redis_broker, monkeypatch):
    """The purge task delivered again after its worker died between a batch's commit and the
    progress report that followed it: the purge's count is what the database deleted."""
    redis.Redis.from_url(redis_broker).delete(PURGE_LOCK_NAME)
    canceled, kept = many_entries(110, canceled_every=11)  # 100 canceled
    batches = []
    report_after_commit = RunControl.on_batch

    def on_batch(control, deleted, total):
        batches.append(deleted)
        if len(batches) == 3:
            raise WorkerDied  # the third batch has committed; its report never happens
        report_after_commit(control, deleted, total)

    monkeypatch.setattr(RunControl, "on_batch", on_batch)
    task_id = str(uuid.uuid4())

    def deliver():
        """The task as a worker runs it (not eagerly: progress, lock, redelivery)."""
        purge_task.push_request(id=task_id, is_eager=False, kwargs={"batch_size": 10}, retries=0, delivery_info={})
        try:
            return run_purge(task=purge_task, batch_size=10)
        finally:
            purge_task.pop_request()

    with pytest.raises(WorkerDied):
        deliver()
    assert canceled_left() == 70  # three batches committed
    outcome = deliver()  # delivered again (acks_late)

    assert canceled_left() == 0
    assert outcome["deleted"] == 100
    assert purge_progress(task_id).deleted == 100
    assert set(InteractionLogEntry.objects.values_list("entry_no", flat=True)) == kept


def progress_fragment(client: Client, url: str) -> str:
    return client.get(url, headers={"HX-Request": "true"}).content.decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgresql
@pytest.mark.redis
def test_a_dead_workers_purge_shows_stalled_and_is_taken_over_by_the_sweep(workers, settings, tmp_path):
    """No redelivery here (a visibility timeout of an hour): the page says the purge stalled
    instead of "running" forever, and the recovery sweep of celery beat takes it over."""
    environment = {
        "INTERACTIONS_PURGE_BATCH_SIZE": "10",
        "INTERACTIONS_PURGE_BATCH_PAUSE": "0.1",
        "INTERACTIONS_PURGE_LOCK_TIMEOUT": "2",
        "INTERACTIONS_PURGE_QUEUE": workers.queue,
        "CELERY_VISIBILITY_TIMEOUT": "3600",
    }
    first_worker = workers.start(**environment)
    settings.INTERACTIONS_PURGE_QUEUE = workers.queue
    canceled, kept = many_entries(660, canceled_every=11)  # 600 canceled
    manager = UserFactory()
    manager.user_permissions.add(Permission.objects.get(codename="purge_interactionlogentry"))
    client = Client()
    client.force_login(manager)
    progress_url = client.post("/interactions/purge/", {})["Location"]
    wait_until(lambda: canceled_left() <= 550, what="the purge is under way")

    first_worker.kill()  # SIGKILL
    first_worker.wait(timeout=10)
    stalled = wait_until(
        lambda: "stopped answering" in (fragment := progress_fragment(client, progress_url)) and fragment,
        what="the page shows the purge stalled",
    )
    assert "deleted so far" not in stalled and 'hx-trigger="every 1s"' in stalled  # still followed
    left_by_the_dead_worker = canceled_left()
    assert 0 < left_by_the_dead_worker < 600

    workers.start(
        arguments=("--beat", f"--schedule={tmp_path / 'beat-schedule'}"),
        INTERACTIONS_RECOVERY_INTERVAL="1",
        INTERACTIONS_EMAIL_QUEUE=workers.queue,
        **environment,
    )
    wait_until(
        lambda: "600 interaction log entries have been deleted." in progress_fragment(client, progress_url),
        what="the purge is taken over and completes",
        seconds=90,
    )
    assert canceled_left() == 0
    assert set(InteractionLogEntry.objects.values_list("entry_no", flat=True)) == kept
    run = PurgeRun.objects.get()
    assert (run.state, run.deleted) == ("done", 600) and run.takeovers >= 1

"""Delivering a logged segment by e-mail ("Deliver"): 10,000 lines sent by 2 Celery workers
(Redis broker; by default each a thread pool of 4, `--delivery-pool` / `--delivery-concurrency`:
a chunk task holds one SMTP connection, so a worker sends over as many connections as it runs
tasks at once) to a local SMTP server (aiosmtpd, a process of its own), against the limit: a
bare smtplib loop sending the same messages (the workers' builder's bytes) over one connection.
The workers are started and answer a ping before anything is timed; their start-up is reported
apart. CPU per message of the senders and of the server is reported for both sides.

Targets: the workers deliver at least half the limit's messages per second; each worker's
peak RSS stays under 200 MB; logging the segment with content (a merge template: each
entry's merged text and HTML) takes at most 2x logging it without content.

The rate limit is set to 0 (none) for the measurement: it is what an SMTP provider asks
for, not a property of the code. The machine is shared: run it on an idle one for figures
to compare (`python -m bench --only segment_delivery --delivery-lines 2000` for a quick run).
"""

import os
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection

from . import generate
from .common import record
from .segment_logging import _segment_with_lines

MERGE_BODY = (
    "Dear {contact.name},\n\nour spring offer for {contact.company_name} in {contact.city} is ready: "
    "see the prices below.\n\nKind regards,\n{salesperson.name}\n{salesperson.email}"
)
WORKERS = 2
RSS_LIMIT_MB = 200


def _template(with_content: bool):
    from interactions.models import InteractionTemplate, InteractionTemplateLanguage, WizardAction

    template = InteractionTemplate.objects.get(code="BUS")
    InteractionTemplateLanguage.objects.filter(template=template).delete()
    if with_content:
        template.wizard_action = WizardAction.MERGE
        template.language_default = "en"
        InteractionTemplateLanguage.objects.create(
            template=template, language="en", description="Spring offer", merge_body=MERGE_BODY
        )
    else:
        template.wizard_action = ""
        template.language_default = ""
    template.save()


def _forget(segment) -> None:
    """Delete what logging the segment wrote, so that it can be logged again."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM interactions_segmententrycontent WHERE logged_segment_id IN "
            "(SELECT id FROM interactions_loggedsegment WHERE segment_number = %s)",
            [segment.number],
        )
        cursor.execute("DELETE FROM interactions_interactionlogentry WHERE segment_number = %s", [segment.number])
        cursor.execute("DELETE FROM interactions_loggedsegment WHERE segment_number = %s", [segment.number])
        cursor.execute("VACUUM ANALYZE interactions_interactionlogentry")


def _log_times(segment, user, *, repeat: int) -> tuple[float, float]:
    """Medians of logging the segment without content and with it, the runs alternating
    (without, with, without, ...) so that a change in the machine's load weighs on both."""
    from interactions.services.segments import log_segment

    runs: dict[bool, list[float]] = {False: [], True: []}
    for _run in range(repeat):
        for with_content in (False, True):
            _template(with_content)
            started = time.perf_counter()
            log_segment(segment=segment, user=user)
            runs[with_content].append(time.perf_counter() - started)
            _forget(segment)
    return statistics.median(runs[False]), statistics.median(runs[True])


class Sink:
    """The SMTP server process."""

    def __init__(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.smtp_sink"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ},
        )
        self.port = int(self.process.stdout.readline())

    def counts(self) -> tuple[int, int]:
        self.process.stdin.write("count\n")
        self.process.stdin.flush()
        received, duplicates = self.process.stdout.readline().split()
        return int(received), int(duplicates)

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


def _messages(logged) -> tuple[str, list[tuple[list[str], bytes]]]:
    """The messages the workers will send, built by the workers' own builder, as bytes: the
    same messages (same size, same headers) go to the same server on both sides."""
    from interactions.models import SegmentEntryContent
    from interactions.services.segment_messages import CONTENT_VALUES, MessageBuilder

    builder = MessageBuilder()
    messages = []
    sender = ""
    rows = SegmentEntryContent.objects.filter(logged_segment=logged).order_by("entry_id").values(*CONTENT_VALUES)
    for row in rows.iterator(chunk_size=2000):
        message = builder.build(row)
        sender = message.envelope_from
        messages.append((message.recipients, message.raw))
    return sender, messages


def _bare_loop(port: int, sender: str, messages) -> float:
    """The limit: one connection, sendmail after sendmail."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for recipients, raw in messages:
            smtp.sendmail(sender, recipients, raw)
    return time.perf_counter() - started


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (its children not counted)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _start_workers(
    *, broker: str, queue: str, port: int, log_dir: Path, pool: str, concurrency: int
) -> list[subprocess.Popen]:
    environment = {
        **os.environ,
        "CELERY_BROKER_URL": broker,
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "INTERACTIONS_EMAIL_QUEUE": queue,
        "INTERACTIONS_BULK_EMAIL_RATE_PER_MINUTE": "0",
    }
    environment.pop("CELERY_RESULT_BACKEND", None)
    workers = []
    for number in range(WORKERS):
        log = (log_dir / f"segment-delivery-worker-{number}.log").open("wb")
        workers.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "crm",
                    "worker",
                    f"--pool={pool}",
                    f"--concurrency={concurrency}",
                    "-Q",
                    queue,
                    "-n",
                    f"bench-{queue}-{number}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--loglevel=WARNING",
                ],
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        )
    return workers


def _wait_until_ready(app, queue: str, *, seconds: float = 300) -> float:
    """Seconds until every worker answers a ping (started, connected, consuming): the
    workers' start-up, reported apart and never part of the delivery's time."""
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        replies = app.control.ping(timeout=0.5)
        ready = [name for reply in replies for name in reply if name.startswith(f"bench-{queue}-")]
        if len(ready) >= WORKERS:
            return time.perf_counter() - started
    raise RuntimeError(f"The workers did not start within {seconds:.0f} s")


def _pending(logged) -> int:
    from interactions.models import InteractionLogEntry

    return InteractionLogEntry.objects.filter(
        logged_segment=logged, delivery_status__in=["in_progress", "sending"]
    ).count()


def main(*, lines: int, repeat: int, pool: str = "threads", concurrency: int = 4) -> None:
    from crm.celery import app
    from interactions import conf
    from interactions.services.segments import log_segment

    broker = (
        os.environ.get("BENCH_CELERY_BROKER_URL") or os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/0"
    )
    generate.reset()
    generate.master_data(contacts=lines)
    user, _created = get_user_model().objects.get_or_create(username="bench-sales")
    user.groups.add(Group.objects.get(name="Sales manager"))
    segment = _segment_with_lines(lines)

    without, with_content = _log_times(segment, user, repeat=repeat)

    sink = Sink()
    queue = f"bench-segment-{uuid.uuid4().hex[:8]}"
    log_dir = Path(tempfile.mkdtemp(prefix="segment-delivery-"))  # the workers' logs, should they fail
    app.conf.task_always_eager = False
    app.conf.broker_url = broker
    workers = _start_workers(
        broker=broker, queue=queue, port=sink.port, log_dir=log_dir, pool=pool, concurrency=concurrency
    )
    try:
        startup_seconds = _wait_until_ready(app, queue)
        print(f"The workers answered after {startup_seconds:.1f} s")
        # The messages as the workers build them, sent by the bare loop: the limit.
        from django.test import override_settings

        with override_settings(INTERACTIONS_BULK_EMAIL_RATE_PER_MINUTE=0):
            _template(True)
            logged = log_segment(segment=segment, user=user).logged_segment
            sender, messages = _messages(logged)
            _forget(segment)
            sink_cpu, own_cpu = _cpu_seconds(sink.process.pid), time.process_time()
            bare_seconds = _bare_loop(sink.port, sender, messages)
            bare_cpu = {"client": time.process_time() - own_cpu, "server": _cpu_seconds(sink.process.pid) - sink_cpu}
            received_bare, _dups = sink.counts()
            del messages

            # The workers (started and idle): log with "Deliver" (queued to Redis when it
            # commits), then wait until no entry is queued or being sent.
            with override_settings(CELERY_BROKER_URL=broker, INTERACTIONS_EMAIL_QUEUE=queue):
                assert conf.settings.EMAIL_QUEUE == queue
                sink_cpu, workers_cpu = _cpu_seconds(sink.process.pid), sum(_cpu_seconds(w.pid) for w in workers)
                result = log_segment(segment=segment, user=user, deliver=True)
                started = time.perf_counter()
                deadline = started + 1800
                while _pending(result.logged_segment) and time.perf_counter() < deadline:
                    time.sleep(0.05)
                worker_seconds = time.perf_counter() - started
                worker_cpu = {
                    "workers": sum(_cpu_seconds(w.pid) for w in workers) - workers_cpu,
                    "server": _cpu_seconds(sink.process.pid) - sink_cpu,
                }
        received, duplicates = sink.counts()
        rss = [_peak_rss_mb(worker.pid) for worker in workers]
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=60)
        sink.close()
    delivered = received - received_bare
    limit_rate = lines / bare_seconds
    worker_rate = delivered / worker_seconds
    rows = [
        {"measure": "bare smtplib loop, one connection (the limit)", "messages": lines,
         "seconds": bare_seconds, "messages/s": limit_rate, "target": "", "met": ""},
        {"measure": f"{WORKERS} Celery workers (Deliver; pool {pool}, concurrency {concurrency})",
         "messages": delivered, "seconds": worker_seconds,
         "messages/s": worker_rate, "target": f">= {limit_rate / 2:,.0f}/s",
         "met": "yes" if worker_rate >= limit_rate / 2 and delivered == lines else "NO"},
        {"measure": "workers' start-up (not counted above)", "messages": "", "seconds": startup_seconds,
         "messages/s": "", "target": "", "met": ""},
        {"measure": "worker peak RSS (MB)", "messages": "", "seconds": "", "messages/s": max(rss),
         "target": f"< {RSS_LIMIT_MB}", "met": "yes" if max(rss) < RSS_LIMIT_MB else "NO"},
        {"measure": "log without content", "messages": lines, "seconds": without, "messages/s": "",
         "target": "", "met": ""},
        {"measure": "log with content (merge)", "messages": lines, "seconds": with_content,
         "messages/s": with_content / without, "target": "<= 2.0x",
         "met": "yes" if with_content <= 2 * without else "NO"},
    ]  # fmt: skip
    record(
        "segment_delivery",
        rows,
        notes=[
            f"{lines:,} lines; duplicates received: {duplicates}; chunk size "
            f"{conf.settings.BULK_EMAIL_CHUNK_SIZE}; rate limit off; the server, the workers, PostgreSQL, Redis and "
            "this process share the machine's cores (a shared machine: other work may run too).",
            "The 'messages/s' cell of 'log with content' is the ratio with content / without.",
            "CPU per message (ms): bare loop {:.2f}, its server {:.2f}; the workers together {:.2f}, their server "
            "{:.2f} (PostgreSQL and Redis not counted).".format(
                bare_cpu["client"] * 1000 / lines,
                bare_cpu["server"] * 1000 / lines,
                worker_cpu["workers"] * 1000 / max(delivered, 1),
                worker_cpu["server"] * 1000 / max(delivered, 1),
            ),
        ],
    )

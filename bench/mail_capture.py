"""E-mail capture: a backlog of messages (default 20,000) in a private Dovecot read and logged
by one run of the capture (`read_mailbox`: fetch, parse, match, log once per contact with
its .eml, move to the processed folder), against the limit: a bare imaplib loop fetching
the same messages (UID FETCH BODY.PEEK[] in batches of the same size, nothing else).
Target: the capture at least a third of the limit's messages per second. Memory: the
process's resident size sampled through the run (start, peak, end), which must stay flat
(independent of the backlog's size: compare --mail-messages at two sizes). The run parses in
its own process, as by default; --mail-parse-processes N measures it with N parse processes
(INTERACTIONS_MAIL_CAPTURE_PARSE_PROCESSES).

Each message: from one of 2,000 contacts (one address each) to a salesperson, a subject and
about 2 KB of text; every tenth carries a 40 KB attachment. They are written straight into
the maildir (Dovecot indexes them when the folder is first opened, before either
measurement), so that filling does not dominate the benchmark."""

import contextlib
import email.utils
import os
import tempfile
import threading
import time
from email.message import EmailMessage
from email.policy import SMTP

from django.db import connection

from . import generate
from .common import record, timed_queries

CONTACTS = 2_000
BODY = ("We would like to order the chairs discussed on the phone. " * 35).strip()


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class RssSampler(threading.Thread):
    def __init__(self, every: float = 0.1):
        super().__init__(daemon=True)
        self.every = every
        self.samples: list[int] = []
        self._finished = threading.Event()

    def run(self) -> None:
        while not self._finished.is_set():
            self.samples.append(_rss_kib())
            time.sleep(self.every)

    def stop(self) -> list[int]:
        self._finished.set()
        self.join()
        self.samples.append(_rss_kib())
        return self.samples


def _message(number: int) -> bytes:
    message = EmailMessage(policy=SMTP)
    customer = number % CONTACTS  # the contact with that index (its address as _set_up writes it)
    message["From"] = f"Customer {customer} <customer{customer}@client{customer % 97}.example>"
    message["To"] = f"sp{number % 10 + 1}@example.com"
    message["Subject"] = f"Order {number}: chairs"
    message["Date"] = email.utils.formatdate(time.time() - number * 60, localtime=True)
    message["Message-ID"] = f"<bench-{number}@client.example>"
    message.set_content(f"{BODY}\n\n-- message {number}\n")
    if number % 10 == 0:
        message.add_attachment(os.urandom(40_000), maintype="application", subtype="pdf", filename="quote.pdf")
    return message.as_bytes()


def _fill_maildir(dovecot, count: int) -> None:
    """The backlog written as maildir files of INBOX (new/), owned by the mail user."""
    new = dovecot.maildir / "new"
    for folder in ("new", "cur", "tmp"):
        (dovecot.maildir / folder).mkdir(parents=True, exist_ok=True)
    owner = dovecot.maildir.stat()
    started = time.time()
    for number in range(count):
        path = new / f"{int(started)}.M{number}P1.bench"
        path.write_bytes(_message(number).replace(b"\r\n", b"\n"))
        if os.getuid() == 0:
            os.chown(path, owner.st_uid, owner.st_gid)
    if os.getuid() == 0:
        for folder in ("new", "cur", "tmp"):
            os.chown(dovecot.maildir / folder, owner.st_uid, owner.st_gid)


def _bare_fetch(dovecot, *, batch_size: int) -> tuple[int, float, int]:
    """The limit: every message fetched whole over IMAP, in batches, and nothing else."""
    connection_ = dovecot.client()
    try:
        connection_.select("INBOX", readonly=True)
        status, data = connection_.uid("SEARCH", None, "ALL")
        uids = [int(uid) for uid in data[0].split()]
        started = time.perf_counter()
        fetched = size = 0
        for start in range(0, len(uids), batch_size):
            batch = uids[start : start + batch_size]
            status, items = connection_.uid("FETCH", f"{batch[0]}:{batch[-1]}", "(UID BODY.PEEK[])")
            for item in items:
                if isinstance(item, tuple):
                    fetched += 1
                    size += len(item[1])
        return fetched, time.perf_counter() - started, size
    finally:
        connection_.logout()


def _parse_ms(count: int = 1000, *, whole: bool = False) -> float:
    """parse_message's milliseconds a message: as the run parses (by the headers when they
    are enough), or with `whole` always by the whole parse (what it cost before)."""
    from interactions.services.mail_capture.parsing import parse_message

    messages = [_message(number) for number in range(count)]
    started = time.perf_counter()
    for raw in messages:
        parse_message(raw, attachment_limit=10 * 1024 * 1024, whole=whole)
    return (time.perf_counter() - started) * 1000 / count


def _set_up(dovecot):
    from interactions.models import InteractionTemplate, InteractionTemplateSetup, Mailbox, MailCaptureSettings
    from interactions.tests.dovecot_support import PASSWORD, USER

    generate.reset()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE interactions_capturedemail, interactions_skippedmessage, interactions_mailboxrun, "
            "interactions_mailbox, interactions_mailcapturesettings RESTART IDENTITY CASCADE"
        )
    generate.master_data(contacts=CONTACTS)
    with connection.cursor() as cursor:
        # One address per contact, at 97 client domains (as _message writes them).
        cursor.execute(
            "UPDATE contacts_contact SET email = 'customer' || (id - 1) || '@client' || ((id - 1) %% 97) || "
            "'.example' WHERE id <= %s",
            [CONTACTS],
        )
    setup = InteractionTemplateSetup.load()
    setup.emails = InteractionTemplate.objects.filter(languages__isnull=True).order_by("code").first()
    setup.save()
    row = MailCaptureSettings.load()
    row.internal_domains = "example.com"
    row.save()
    os.environ["CRM_BENCH_IMAP_PASSWORD"] = PASSWORD
    return Mailbox.objects.create(
        name="Bench journal",
        host="127.0.0.1",
        port=dovecot.port,
        security="none",
        username=USER,
        password_reference="CRM_BENCH_IMAP_PASSWORD",
    )


def main(*, messages: int, batch_size: int = 200, parse_processes: int = 0) -> None:
    from django.conf import settings
    from django.test import override_settings

    from interactions.models import InteractionLogEntry
    from interactions.services.mail_capture.runs import read_mailbox
    from interactions.tests.dovecot_support import Dovecot

    settings.INTERACTIONS_MAIL_CAPTURE_BATCH_SIZE = batch_size
    settings.INTERACTIONS_MAIL_CAPTURE_PARSE_PROCESSES = parse_processes
    # The run's .eml files in a folder of its own, removed after: every run starts with an
    # empty folder (92,000 files left by earlier runs slowed each new file's creation).
    media = tempfile.TemporaryDirectory(prefix="bench-capture-media-")
    media_root = override_settings(MEDIA_ROOT=media.name)  # the default storage follows it
    media_root.enable()
    dovecot = Dovecot().start()
    try:
        mailbox = _set_up(dovecot)
        _fill_maildir(dovecot, messages)
        assert dovecot.count("INBOX") == messages  # Dovecot indexes the backlog here
        fetched, bare_seconds, size = _bare_fetch(dovecot, batch_size=batch_size)

        sampler = RssSampler()
        start_rss = _rss_kib()
        sampler.start()
        started = time.perf_counter()
        with timed_queries() as timer:
            result = read_mailbox(mailbox_id=mailbox.pk)
        capture_seconds = time.perf_counter() - started
        samples = sampler.stop()
        if result.error:
            raise RuntimeError(result.error)
        logged = InteractionLogEntry.objects.count()
        left = dovecot.count("INBOX")
    finally:
        with contextlib.suppress(Exception):
            dovecot.stop()
        media_root.disable()
        media.cleanup()

    per_message_queries = timer.queries / max(result.read, 1)
    per_message_db_ms = timer.seconds * 1000 / max(result.read, 1)
    parse_ms = _parse_ms()
    whole_parse_ms = _parse_ms(whole=True)
    limit_rate = fetched / bare_seconds
    capture_rate = result.read / capture_seconds
    share = capture_rate / limit_rate
    tenth = max(1, len(samples) // 10)
    rows = [
        {
            "what": "bare IMAP fetch loop (the limit)",
            "messages": fetched,
            "seconds": bare_seconds,
            "messages/s": limit_rate,
            "MB": size / 1e6,
        },
        {
            "what": "capture run (read, parse, match, log, move)",
            "messages": result.read,
            "seconds": capture_seconds,
            "messages/s": capture_rate,
            "MB": size / 1e6,
        },
    ]
    notes = [
        f"capture / limit = {share:.2f} (target >= 0.33: {'met' if share >= 1 / 3 else 'NOT met'})",
        f"logged entries {logged}, left in INBOX {left}, skipped {result.skipped or 0}",
        f"RSS (MiB): before {start_rss / 1024:.0f}, after the first tenth {max(samples[:tenth]) / 1024:.0f}, "
        f"peak {max(samples) / 1024:.0f}, end {samples[-1] / 1024:.0f}",
        f"capture: {per_message_queries:.1f} queries and {per_message_db_ms:.2f} ms of database time per message, "
        f"{parse_ms:.2f} ms of parsing alone (parse_message over 1,000 of the messages; {whole_parse_ms:.2f} ms "
        "when each is parsed whole); the rest is files and IMAP",
        f"the limit takes {1000 / limit_rate:.3f} ms a message; parsing alone {parse_ms:.2f} ms "
        f"({parse_ms * limit_rate / 1000:.1f}x the limit's whole time), shared by {parse_processes} parse "
        "process(es) when there are any",
        f"batch size {batch_size}; parse processes {parse_processes} (INTERACTIONS_MAIL_CAPTURE_PARSE_PROCESSES); "
        "2,000 contacts; every tenth message with a 40 KB attachment",
    ]
    record("mail_capture", rows, notes=notes)

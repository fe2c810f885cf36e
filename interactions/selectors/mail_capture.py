"""Reads of the e-mail capture: mailboxes with their last run, a mailbox's runs and skipped
messages, the failing mailboxes for the dashboard, an entry's e-mail thread, and who may
open a private captured entry."""

import datetime

from django.db.models import OuterRef, Prefetch, Q, Subquery
from django.db.models.query import QuerySet

from ..models import (
    FAILING_AFTER_RUNS,
    CapturedEmail,
    InteractionLogEntry,
    Mailbox,
    MailboxRun,
    SkippedMessage,
)
from ..permissions import may_open_private_email


def mailboxes_with_last_run() -> list[Mailbox]:
    """Every mailbox, `last_run` set to its newest run (or None), in two queries."""
    newest = MailboxRun.objects.filter(mailbox=OuterRef("pk")).order_by("-started_at", "-id").values("id")[:1]
    mailboxes = list(Mailbox.objects.select_related("salesperson").annotate(last_run_id=Subquery(newest)))
    runs = MailboxRun.objects.in_bulk([m.last_run_id for m in mailboxes if m.last_run_id])
    for mailbox in mailboxes:
        mailbox.last_run = runs.get(mailbox.last_run_id)
    return mailboxes


def last_run(mailbox: Mailbox) -> MailboxRun | None:
    return mailbox.runs.order_by("-started_at", "-id").first()


def recent_runs(mailbox: Mailbox) -> QuerySet[MailboxRun]:
    return mailbox.runs.order_by("-started_at", "-id")


def skipped_messages(mailbox: Mailbox, *, reason: str = "") -> QuerySet[SkippedMessage]:
    queryset = SkippedMessage.objects.filter(mailbox=mailbox).order_by("-created_at", "-id")
    if reason:
        queryset = queryset.filter(reason=reason)
    return queryset


def failing_mailboxes() -> list[Mailbox]:
    """Active mailboxes whose last FAILING_AFTER_RUNS runs or more failed in a row."""
    return list(Mailbox.objects.filter(active=True, consecutive_failures__gte=FAILING_AFTER_RUNS).order_by("name"))


def captured_email_of(entry: InteractionLogEntry) -> CapturedEmail | None:
    return CapturedEmail.objects.filter(entry_id=entry.entry_no).select_related("mailbox").first()


def may_open_entry_email(*, user, entry: InteractionLogEntry, captured: CapturedEmail | None) -> bool:
    """Whether the user may open the message of a captured entry (its subject, its .eml)."""
    if captured is None or not captured.private:
        return True
    salesperson_user_id = entry.salesperson.user_id if entry.salesperson_id else None
    return may_open_private_email(user=user, salesperson_user_id=salesperson_user_id)


def private_entry_numbers_closed_to(user, entry_numbers) -> set[int]:
    """Of `entry_numbers`, the private captured entries that `user` may not open."""
    rows = CapturedEmail.objects.filter(entry_id__in=list(entry_numbers), private=True).values_list(
        "entry_id", "entry__salesperson__user_id"
    )
    return {number for number, owner in rows if not may_open_private_email(user=user, salesperson_user_id=owner)}


def email_thread(entry: InteractionLogEntry) -> list[InteractionLogEntry]:
    """The e-mail thread `entry` belongs to, for the same contact: from the first message
    (following `replies_to` up) through every reply (down), in date order; [] when the entry
    is in no thread. A few queries per level; threads are short."""
    captured = CapturedEmail.objects.filter(entry_id=entry.entry_no).values("replies_to_id").first()
    if captured is None:
        return []
    root = entry.entry_no
    parent = captured["replies_to_id"]
    seen = {root}
    while parent and parent not in seen:
        seen.add(parent)
        root = parent
        parent = CapturedEmail.objects.filter(entry_id=parent).values_list("replies_to_id", flat=True).first()
    members = {root}
    frontier = [root]
    while frontier:
        children = list(
            CapturedEmail.objects.filter(replies_to_id__in=frontier)
            .exclude(entry_id__in=members)
            .values_list("entry_id", flat=True)
        )
        members.update(children)
        frontier = children
    if len(members) < 2:
        return []
    return list(
        InteractionLogEntry.objects.filter(entry_no__in=members)
        .select_related("contact", "salesperson", "template")
        .prefetch_related(Prefetch("captured_email"))
        .order_by("date", "time", "entry_no")
    )


def replies_by_original(entry_numbers) -> dict[int, int]:
    """entry no. -> the entry no. it replies to, for the threaded timeline."""
    return dict(
        CapturedEmail.objects.filter(entry_id__in=list(entry_numbers), replies_to__isnull=False)
        .filter(~Q(replies_to_id=None))
        .values_list("entry_id", "replies_to_id")
    )


def thread_timeline(entries: list[InteractionLogEntry], *, user) -> list[InteractionLogEntry]:
    """The timeline with e-mail replies shown together with the message they answer: a reply
    whose original is in `entries` moves under it (`entry.thread_replies`, oldest first);
    every reply knows the entry it answers (`entry.replies_to_no`); a private captured entry
    the user may not open has `entry.email_closed`. One query besides `entries`'."""
    numbers = [entry.entry_no for entry in entries]
    rows = list(
        CapturedEmail.objects.filter(entry_id__in=numbers).values_list(
            "entry_id", "replies_to_id", "private", "entry__salesperson__user_id"
        )
    )
    parent_of = {number: parent for number, parent, _private, _owner in rows if parent}
    closed = {
        number
        for number, _parent, private, owner in rows
        if private and not may_open_private_email(user=user, salesperson_user_id=owner)
    }
    by_number = {entry.entry_no: entry for entry in entries}
    for entry in entries:
        entry.thread_replies = []
        entry.replies_to_no = parent_of.get(entry.entry_no)
        entry.email_closed = entry.entry_no in closed
    top = []
    for entry in entries:
        root, seen = entry.entry_no, {entry.entry_no}
        while parent_of.get(root) in by_number and parent_of[root] not in seen:
            root = parent_of[root]
            seen.add(root)
        if root == entry.entry_no:
            top.append(entry)
        else:
            by_number[root].thread_replies.append(entry)
    for entry in top:
        entry.thread_replies.sort(key=lambda reply: (reply.date, reply.time or datetime.time.max, reply.entry_no))
    return top

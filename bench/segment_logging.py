"""Logging a segment of 100,000 lines, against the bare INSERT ... SELECT that writes the
same rows and a naive loop of save() calls (measured on 10,000 lines, scaled), and with the
summary tables' upkeep switched off in this process only (the service as it would run without
summary tables). Targets: at most 3x the bare statement, at least 20x faster than the naive
loop, the summary tables adding at most 20%.

The summary tables' share depends on whether the segment's contacts already have a month
summary row for the month: a contact's first entry of the month inserts its row, a later one
updates it (PostgreSQL's upsert takes the row's lock, then writes a new version). So the
share is measured for both audiences, each run starting from the same state: "first this
month" (only the rows the generated log made: about a fifth of the contacts) and "again this
month" (every contact and company of the segment has its row, as after an earlier mailing
to the same audience this month)."""

import statistics
import time
from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from . import generate
from .common import record


def _segment_with_lines(lines: int):
    from interactions.models import InteractionTemplate, Segment

    template = InteractionTemplate.objects.get(code="BUS")
    segment = Segment.objects.create(
        description="Benchmark segment",
        template=template,
        unit_cost=template.unit_cost,
        unit_duration=template.unit_duration,
        information_flow=template.information_flow,
        initiated_by=template.initiated_by,
        salesperson_id=1,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO interactions_segmentline
                (segment_id, contact_id, contact_company_id, correspondence_type, template_id, language, subject,
                 description, evaluation, cost, duration, information_flow, initiated_by, campaign_id,
                 campaign_target, campaign_response, contact_via)
            SELECT %s, id, coalesce(company_id, id), 'email', %s, 'en', '', '', '', %s, %s, %s, %s, NULL,
                   false, false, email
            FROM contacts_contact ORDER BY id LIMIT %s
            """,
            [segment.pk, template.pk, template.unit_cost, template.unit_duration, template.information_flow,
             template.initiated_by, lines],
        )  # fmt: skip
    return segment


def _bare_insert_select(segment, user) -> float:
    """The same rows written by one hand-written statement (and the logged segment they
    name): the floor of what logging costs."""
    from interactions.models import LoggedSegment

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        logged = LoggedSegment.objects.create(segment_number=segment.number, description=segment.description)
        cursor.execute(
            """
            INSERT INTO interactions_interactionlogentry
                (contact_id, contact_company_id, date, time, description, subject, information_flow, initiated_by,
                 template_id, group_id, language, cost, duration, user_id, salesperson_id, campaign_id,
                 campaign_target, campaign_response, segment_number, logged_segment_id, evaluation, attempt_failed,
                 delivery_status, delivery_error, canceled, canceled_changed_by_id, canceled_changed_at, postponed,
                 correspondence_type, contact_via, document_type, document_number, document_occurrence,
                 document_version, opportunity_number, created_at)
            SELECT l.contact_id, CASE WHEN c.type = 'company' THEN c.id ELSE c.company_id END, current_date,
                   localtime(0), 'Benchmark segment', l.subject, l.information_flow, l.initiated_by, l.template_id,
                   t.group_id, l.language, l.cost, l.duration, %s, 1, l.campaign_id, l.campaign_target,
                   l.campaign_response, %s, %s, l.evaluation, false, '', '', false, NULL, NULL, false,
                   l.correspondence_type, l.contact_via, '', '', 0, 0, '', now()
            FROM interactions_segmentline l
            JOIN contacts_contact c ON c.id = l.contact_id
            LEFT JOIN interactions_interactiontemplate t ON t.id = l.template_id
            WHERE l.segment_id = %s ORDER BY l.id
            """,
            [user.pk, segment.number, logged.pk, segment.pk],
        )
    return time.perf_counter() - started


def _naive_loop(segment, user, lines: int) -> float:
    """What a straightforward Django implementation does: one save() per line."""
    from interactions.models import InteractionLogEntry, LoggedSegment

    started = time.perf_counter()
    with transaction.atomic():
        logged = LoggedSegment.objects.create(segment_number=segment.number, description=segment.description, user=user)
        for line in segment.lines.select_related("contact", "template")[:lines]:
            InteractionLogEntry(
                contact=line.contact,
                contact_company_id=line.contact.company_or_self_id,
                date=timezone.localdate(),
                time=timezone.localtime().time(),
                description=segment.description,
                information_flow=line.information_flow,
                initiated_by=line.initiated_by,
                template=line.template,
                group_id=line.template.group_id,
                language=line.language,
                cost=line.cost,
                duration=line.duration,
                user=user,
                salesperson_id=segment.salesperson_id,
                segment_number=segment.number,
                logged_segment=logged,
                correspondence_type=line.correspondence_type,
                contact_via=line.contact_via,
            ).save()
    return time.perf_counter() - started


@contextmanager
def _without_summaries():
    """The summary tables' upkeep switched off (the bench only): what logging costs without it."""
    from interactions.services import summaries

    kept = summaries.entries_counted
    summaries.entries_counted = lambda entries: None
    try:
        yield
    finally:
        summaries.entries_counted = kept


_MONTH_TABLES = ("interactions_contactmonthsummary", "interactions_companymonthsummary")


def _month_rows_for(segment, *, audience: str) -> None:
    """Set the month summaries of the segment's month to the audience's state: "first" keeps
    only the rows that count something (the rows a run's entries left at zero go), "again"
    gives every contact and company of the segment a row (at zero when it had none)."""
    with connection.cursor() as cursor:
        for table in _MONTH_TABLES:
            cursor.execute(f"DELETE FROM {table} WHERE count = 0 AND last_interaction_date IS NULL")
        if audience == "again":
            company = "CASE WHEN c.type = 'company' THEN c.id ELSE c.company_id END"
            for table, key, column in (
                ("interactions_contactmonthsummary", "contact_id", "l.contact_id"),
                ("interactions_companymonthsummary", "company_id", company),
            ):
                cursor.execute(
                    f"""
                    INSERT INTO {table} ({key}, month, month_end, count, cost, duration)
                    SELECT DISTINCT {column}, date_trunc('month', %s::date)::date,
                           (date_trunc('month', %s::date) + interval '1 month' - interval '1 day')::date, 0, 0, 0
                    FROM interactions_segmentline l JOIN contacts_contact c ON c.id = l.contact_id
                    WHERE l.segment_id = %s AND {column} IS NOT NULL
                    ON CONFLICT DO NOTHING
                    """,
                    [segment.date, segment.date, segment.pk],
                )
        for table in _MONTH_TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")
        # Each run starts after a checkpoint: one does not fall in some runs and not in others.
        cursor.execute("CHECKPOINT")


def _delete_entries_of(segment_number: str, *, counted: bool = False) -> None:
    """Delete the entries logged by the run (and take them out of the summary tables when
    the run counted them there), so that every run starts from the same state."""
    from interactions.models import InteractionLogEntry
    from interactions.services import summaries

    if counted:
        with transaction.atomic():
            summaries.entries_uncounted(InteractionLogEntry.objects.filter(segment_number=segment_number))
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM interactions_interactionlogentry WHERE segment_number = %s", [segment_number])
        # A logged segment is never logged again: the next run starts from an unlogged one.
        cursor.execute("DELETE FROM interactions_loggedsegment WHERE segment_number = %s", [segment_number])
        cursor.execute("VACUUM ANALYZE interactions_interactionlogentry")


def main(*, lines: int, naive_lines: int, existing_entries: int, repeat: int) -> None:
    from interactions.services.segments import log_segment

    generate.reset()
    generate.master_data(contacts=lines)
    generate.log_entries(count=existing_entries)
    user, _created = get_user_model().objects.get_or_create(username="bench-sales")
    user.groups.add(Group.objects.get(name="Sales staff"))
    segment = _segment_with_lines(lines)

    rows = []
    bare, naive = [], []
    for audience in ("first", "again"):
        service, without = [], []
        for _run in range(repeat):

            def with_summaries(audience=audience, service=service):
                _month_rows_for(segment, audience=audience)
                started = time.perf_counter()
                result = log_segment(segment=segment, user=user)
                service.append(time.perf_counter() - started)
                assert result.entry_count == lines
                _delete_entries_of(segment.number, counted=True)

            def without_summaries(audience=audience, without=without):
                _month_rows_for(segment, audience=audience)
                with _without_summaries():
                    started = time.perf_counter()
                    log_segment(segment=segment, user=user)
                    without.append(time.perf_counter() - started)
                _delete_entries_of(segment.number)

            # In turns, so that neither always runs on the table the other has just churned.
            for run in (with_summaries, without_summaries) if _run % 2 == 0 else (without_summaries, with_summaries):
                run()
            if audience == "first":
                bare.append(_bare_insert_select(segment, user))
                _delete_entries_of(segment.number)
                naive.append(_naive_loop(segment, user, naive_lines) * lines / naive_lines)
                _delete_entries_of(segment.number)
        service_s, without_s = statistics.median(service), statistics.median(without)
        bare_s, naive_scaled = statistics.median(bare), statistics.median(naive)
        rows.append(
            {
                "lines": f"{lines:,}",
                "entries already in the log": f"{existing_entries:,}",
                "month summary rows": "first this month" if audience == "first" else "again this month",
                "log_segment s": service_s,
                "log_segment without summary tables s": without_s,
                "summary tables' share": service_s / without_s - 1,
                "bare INSERT ... SELECT s": bare_s,
                "service / bare": service_s / bare_s,
                f"naive save() loop s ({naive_lines:,} lines, scaled)": naive_scaled,
                "naive / service": naive_scaled / service_s,
            }
        )
    record(
        "segment_logging",
        rows,
        notes=[
            f"medians of {repeat} runs; the naive loop runs on {naive_lines:,} lines and is scaled; the bare statement "
            "and the naive loop run with the first audience's rows",
            "first this month: only the generated log's month rows exist (a contact's row is inserted); again this "
            "month: every contact and company of the segment has its row for the month (updated)",
        ],
    )

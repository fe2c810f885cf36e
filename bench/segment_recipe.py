"""A segment of 10,000 lines built by replaying a saved five-step recipe ("Reuse criteria"),
then logged; against the bare SQL of the same statements (hand-written INSERT ... SELECT and
DELETE for the steps, the INSERT ... SELECT of segment_logging.py for the log), and the
number of queries for 1,000 and for 10,000 lines, which must be the same.

The recipe, on contacts made by generate.master_data (one company for four persons, the
persons' salespeople SP1..SP10 in turn; 12,500 contacts give 10,000 persons):
  1. add persons                                              -> 10,000 lines
  2. add the companies of SP1 (company together with persons)  -> 10,250
  3. reduce: contacts of SP2                                   ->  9,250
  4. add the persons of SP2 (company together with persons)    -> 10,250
  5. refine: persons only                                      -> 10,000
Each step is in the options that the Add Contacts rules treat alike however they are read."""

import statistics
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction

from . import generate
from .common import record, timed_queries
from .segment_logging import _bare_insert_select, _delete_entries_of

TOGETHER = {"allow_company_with_persons": True}
RECIPE = [
    ("add", {"contact_type": "person"}, {}),
    ("add", {"contact_type": "company", "salesperson": "SP1"}, TOGETHER),
    ("reduce", {"salesperson": "SP2"}, {}),
    ("add", {"contact_type": "person", "salesperson": "SP2"}, TOGETHER),
    ("refine", {"contact_type": "person"}, {}),
]


def _saved_recipe(user):
    """The recipe saved as the users of the pages save it: applied to a segment step by
    step, then "Save criteria"."""
    from interactions.models import SavedSegmentCriteria, Segment
    from interactions.selectors.segments import SegmentCriteria, SegmentOptions
    from interactions.services import segment_recipes, segments

    SavedSegmentCriteria.objects.filter(code="BENCH").delete()
    source = Segment.objects.create(description="Recipe source", salesperson_id=1)
    steps = {"add": segments.add_contacts, "reduce": segments.reduce_contacts, "refine": segments.refine_contacts}
    for action, criteria, options in RECIPE:
        steps[action](
            segment=source,
            criteria=SegmentCriteria(**criteria),
            options=SegmentOptions(**options),
            user=user,
        )
    return segment_recipes.save_recipe(segment=source, code="BENCH", description="Bench", user=user)


def _new_segment():
    from interactions.models import InteractionTemplate, Segment

    template = InteractionTemplate.objects.get(code="BUS")
    return Segment.objects.create(
        description="Benchmark segment",
        template=template,
        unit_cost=template.unit_cost,
        unit_duration=template.unit_duration,
        information_flow=template.information_flow,
        initiated_by=template.initiated_by,
        salesperson_id=1,
    )


_LINE_COLUMNS = """(segment_id, contact_id, contact_company_id, correspondence_type, template_id, language, subject,
    description, evaluation, cost, duration, information_flow, initiated_by, campaign_id, campaign_target,
    campaign_response, contact_via)"""


def _bare_add(cursor, segment, where: str, params: list) -> None:
    cursor.execute(
        f"""
        INSERT INTO interactions_segmentline {_LINE_COLUMNS}
        SELECT %s, c.id, CASE WHEN c.type = 'company' THEN c.id ELSE c.company_id END, c.correspondence_type, %s,
               c.language, '', '', '', %s, %s, %s, %s, NULL, false, false, c.email
        FROM contacts_contact c
        WHERE {where} AND NOT c.exclude_from_segments
          AND NOT EXISTS (SELECT 1 FROM interactions_segmentline l WHERE l.segment_id = %s AND l.contact_id = c.id)
        ORDER BY c.number
        """,
        [segment.pk, segment.template_id, segment.unit_cost, segment.unit_duration, segment.information_flow,
         segment.initiated_by, *params, segment.pk],
    )  # fmt: skip


def _bare_steps(segment) -> float:
    """The same five steps as hand-written statements: the floor of what the replay costs."""
    salesperson = "(SELECT id FROM contacts_salesperson WHERE code = %s)"
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        _bare_add(cursor, segment, "c.type = 'person'", [])
        _bare_add(cursor, segment, f"c.type = 'company' AND c.salesperson_id = {salesperson}", ["SP1"])
        cursor.execute(
            "DELETE FROM interactions_segmentline WHERE segment_id = %s AND contact_id IN "
            f"(SELECT id FROM contacts_contact WHERE salesperson_id = {salesperson})",
            [segment.pk, "SP2"],
        )
        _bare_add(cursor, segment, f"c.type = 'person' AND c.salesperson_id = {salesperson}", ["SP2"])
        cursor.execute(
            "DELETE FROM interactions_segmentline WHERE segment_id = %s AND contact_id NOT IN "
            "(SELECT id FROM contacts_contact WHERE type = 'person')",
            [segment.pk],
        )
    return time.perf_counter() - started


def _line_count(segment) -> int:
    return segment.lines.count()


def _run(*, lines: int, user, repeat: int) -> dict:
    from interactions.services.segment_recipes import replay_recipe
    from interactions.services.segments import log_segment

    generate.reset()
    generate.master_data(contacts=lines * 5 // 4)
    saved = _saved_recipe(user)

    replay, replay_queries, log, log_queries, bare_steps, bare_log = [], [], [], [], [], []
    for _run_number in range(repeat):
        segment = _new_segment()
        with timed_queries() as timer:
            started = time.perf_counter()
            results = replay_recipe(segment=segment, saved=saved, user=user)
            replay.append(time.perf_counter() - started)
        replay_queries.append(timer.queries)
        assert len(results) == 5 and _line_count(segment) == lines, (_line_count(segment), lines)

        with timed_queries() as timer:
            started = time.perf_counter()
            result = log_segment(segment=segment, user=user)
            log.append(time.perf_counter() - started)
        log_queries.append(timer.queries)
        assert result.entry_count == lines
        _delete_entries_of(segment.number)
        bare_log.append(_bare_insert_select(segment, user))
        _delete_entries_of(segment.number)

        bare_segment = _new_segment()
        bare_steps.append(_bare_steps(bare_segment))
        assert _line_count(bare_segment) == lines

    return {
        "lines": f"{lines:,}",
        "replay s": statistics.median(replay),
        "bare steps s": statistics.median(bare_steps),
        "replay / bare": statistics.median(replay) / statistics.median(bare_steps),
        "replay queries": max(replay_queries),
        "log_segment s": statistics.median(log),
        "bare log s": statistics.median(bare_log),
        "log / bare": statistics.median(log) / statistics.median(bare_log),
        "log queries": max(log_queries),
    }


def main(*, repeat: int, sizes: tuple[int, ...] = (1_000, 10_000), build_lines: int = 100_000) -> None:
    user, _created = get_user_model().objects.get_or_create(username="bench-sales")
    user.groups.add(Group.objects.get(name="Sales staff"))
    if build_lines:
        build_from_criteria(lines=build_lines, user=user, repeat=repeat)
    if not sizes:
        return
    rows = [_run(lines=lines, user=user, repeat=repeat) for lines in sizes]
    record(
        "segment_recipe",
        rows,
        notes=[
            f"medians of {repeat} runs; the replay applies the five saved steps through the same services as the "
            "pages (add_contacts, reduce_contacts, refine_contacts), each recorded for go back",
            "bare steps: the same five steps as hand-written INSERT ... SELECT and DELETE (no snapshots for go back)",
            "bare log: the INSERT ... SELECT of segment_logging.py writing the same entries",
        ],
    )


# --- A large segment built from criteria, and its lines page ----------------------------


def _bare_insert_of_persons(segment) -> float:
    """The floor: the same rows (every person) as one hand-written INSERT ... SELECT."""
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        _bare_add(cursor, segment, "c.type = 'person'", [])
    return time.perf_counter() - started


def _page_times(client, url: str, pages: dict[str, int], repeat: int) -> dict:
    from .common import measure

    figures = {}
    for label, page in pages.items():
        result = measure(lambda page=page: client.get(url, {"page": page}), repeat=repeat)
        figures[f"{label} ms"] = result["wall_ms"]
        figures[f"{label} db ms"] = result["db_ms"]
        figures[f"{label} queries"] = result["queries"]
    return figures


def build_from_criteria(*, lines: int, user, repeat: int) -> None:
    """A segment of `lines` lines built from criteria (add every person: the header's
    defaults and the Add Contacts rules computed per line) against the bare INSERT ...
    SELECT of the same rows; reduce by a salesperson (a tenth of the lines, each kept for
    go back) and go back; then the segment's lines page and the contacts list, first page,
    page 1000 and last page, in-process (Django's test client: the server's time without
    the network)."""
    from django.test import Client

    from interactions.selectors.segments import SegmentCriteria, SegmentOptions
    from interactions.services import segments

    generate.reset()
    generate.master_data(contacts=lines * 5 // 4)
    persons = SegmentCriteria(contact_type="person")
    build, build_queries, bare, reduce, back_reduce, back_add = [], [], [], [], [], []
    for _run_number in range(repeat):
        segment = _new_segment()
        with timed_queries() as timer:
            started = time.perf_counter()
            result = segments.add_contacts(segment=segment, criteria=persons, options=SegmentOptions(), user=user)
            build.append(time.perf_counter() - started)
        build_queries.append(timer.queries)
        assert result.added == lines == _line_count(segment), (result.added, lines)
        started = time.perf_counter()
        removed = segments.reduce_contacts(
            segment=segment, criteria=SegmentCriteria(salesperson="SP2"), options=SegmentOptions(), user=user
        ).removed
        reduce.append(time.perf_counter() - started)
        started = time.perf_counter()
        segments.go_back(segment=segment, user=user)
        back_reduce.append(time.perf_counter() - started)
        assert _line_count(segment) == lines
        started = time.perf_counter()
        segments.go_back(segment=segment, user=user)
        back_add.append(time.perf_counter() - started)
        assert _line_count(segment) == 0
        segment.delete()

        bare_segment = _new_segment()
        bare.append(_bare_insert_of_persons(bare_segment))
        assert _line_count(bare_segment) == lines
        bare_segment.delete()
    median = statistics.median
    record(
        "segment_build",
        [
            {
                "lines": f"{lines:,}",
                "add from criteria s": median(build),
                "bare INSERT ... SELECT s": median(bare),
                "add / bare": median(build) / median(bare),
                "target": "<= 3x",
                "queries": max(build_queries),
                f"reduce {removed:,} s": median(reduce),
                "go back (reduce) s": median(back_reduce),
                "go back (add) s": median(back_add),
            }
        ],
        notes=[
            f"medians of {repeat} runs; add_contacts through the service (permissions, lock, the INSERT ... SELECT "
            "with the header's defaults and the Add Contacts rules, the step recorded for go back)",
            "bare: INSERT ... SELECT of the same persons with constant defaults and no rules but exclusion and "
            "existing lines",
            "before (issue 19): 22.7 s for 100,000 lines, one Python object per line",
        ],
    )

    segment = _new_segment()
    segments.add_contacts(segment=segment, criteria=persons, options=SegmentOptions(), user=user)
    client = Client()
    client.force_login(user)
    last = (lines + 49) // 50
    pages = {"page 1": 1, "page 1000": min(1000, last), "last page": last}
    from django.urls import reverse

    row = {"lines": f"{lines:,}"}
    row.update(_page_times(client, reverse("interactions:segment-detail", args=[segment.number]), pages, repeat * 3))
    contacts = lines * 5 // 4
    contact_pages = {"page 1": 1, "page 1000": min(1000, (contacts + 49) // 50), "last page": (contacts + 49) // 50}
    contact_row = {"lines": f"{contacts:,} contacts"}
    contact_row.update(_page_times(client, reverse("contacts:list"), contact_pages, repeat * 3))
    record(
        "segment_lines_page",
        [row, contact_row],
        notes=[
            "server time in-process (Django's test client), median; 50 rows a page; the segment's lines page "
            "(header, steps, lines) and the contacts list, both paged by crm.paging.DeferredJoinTableData",
            "before (issue 19): page 1000 / last page of a 100k-line segment 560-650 ms under gunicorn at 1M entries",
        ],
    )

"""Random and hostile values (hypothesis) sent to every form and every filter query
string: wrong types, huge and negative numbers, malformed dates, very long and non-Latin
text, NUL bytes, unknown ids. The answer is a page with form errors or a 4xx (or, for a
valid submission, what a valid submission does) — never a server error, and never a
write when the answer is an error or the form again.

Examples per form come from the hypothesis profile (conftest.py): "dev" (50) locally,
"ci" (300) with CI=1 or REQUIRE_SERVICES=1; query strings get half as many.
"""

import dataclasses
import datetime
from collections.abc import Callable

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from .security_support import World, build_world, client_of

pytestmark = pytest.mark.django_db

ALLOWED = {200, 302, 400, 403, 404, 405, 409, 429}

SPECIAL = [
    "", " ", "\x00", "a\x00b", "\x00" * 3, "null", "None", "true", "-1", "0", "-0", "1.5", "1,5", "1e309", "NaN",
    "inf", "-inf", "0x10", "9" * 30, "-" + "9" * 30, str(2**63), str(-(2**63) - 1), str(2**31), str(2**64),
    "١٢٣", "２０２４-０１-０１", "2024-02-30", "2024-13-01", "0000-00-00", "0001-01-01", "9999-12-31",
    "10000-01-01", "-2024-01-01", "31.12.2024", "2024/01/01", "24:61", "25:00", "99:99:99", "T",
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "' OR 1=1 --", "../../etc/passwd", "%00",
    "Привет, мир", "日本語のテキスト", "مرحبا", "🙂" * 60, "\u202e\u202d", "\ufeff", "a" * 10_000, "*", "**", "?",
    "%", "_", "\\", "{}", "[]", '{"a": 1}', "[1, 2]", "TPLX", "GRPX", "SPX", "CT000001", "00000000-0000",
]  # fmt: skip

HOSTILE = st.one_of(
    st.sampled_from(SPECIAL),
    st.text(max_size=40),  # any code point but surrogates: controls, NUL, RTL marks, emoji
    st.text(min_size=200, max_size=2_000),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.dates(min_value=datetime.date(1, 1, 1)).map(str),
)
HOSTILE_OR_LIST = st.one_of(HOSTILE, st.lists(HOSTILE, min_size=2, max_size=4))


def data_strategy(baseline: dict[str, object]) -> st.SearchStrategy:
    """Each field: its valid value, a hostile one, or left out; plus now and then a field
    the form does not know."""
    return st.fixed_dictionaries(
        {},
        optional={
            **{name: st.one_of(st.just(value), HOSTILE_OR_LIST) for name, value in baseline.items()},
            "unknown_field": HOSTILE,
        },
    )


COUNTED_TABLES = sorted(
    model._meta.db_table
    for model in apps.get_models()
    if model._meta.app_label in ("contacts", "documents", "interactions") and not model._meta.proxy
)


def row_counts() -> dict[str, int]:
    """The number of rows of every table of the three apps, in one query (it runs twice
    per example)."""
    from django.db import connection

    quote = connection.ops.quote_name
    selects = ", ".join(f"(SELECT COUNT(*) FROM {quote(table)})" for table in COUNTED_TABLES)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {selects}")
        return dict(zip(COUNTED_TABLES, cursor.fetchone(), strict=True))


@dataclasses.dataclass(frozen=True)
class Case:
    role: str
    method: str
    url: Callable[[World], str]
    baseline: Callable[[World], dict[str, object]]
    # A successful submission (302) may write; a GET never does.
    writes_on_success: bool = True


def named(name: str, *args, query: str = "") -> Callable[[World], str]:
    return lambda w: reverse(name, args=[arg(w) for arg in args]) + query


def interaction_fields(w: World) -> dict[str, object]:
    return {
        "action": "save", "contact": w.person.number, "template": w.template.pk, "salesperson": w.salesperson.pk,
        "date": "2026-03-02", "time": "09:30", "description": "Visit", "subject": "Order",
        "information_flow": "outbound", "initiated_by": "us", "language": "en", "correspondence_type": "email",
        "contact_via": "anna@example.com", "evaluation": "positive", "was_successful": "on", "cost": "12.30",
        "duration": "45", "campaign": "", "campaign_target": "on", "campaign_response": "",
        "opportunity_number": "OP-1", "segment_number": "", "merged_body": "", "first_comment": "Hello",
        "applied_defaults": "",
    }  # fmt: skip


def segment_header_fields(w: World) -> dict[str, object]:
    return {
        "description": "Spring", "salesperson": w.salesperson.pk, "date": "2026-03-02", "template": w.template.pk,
        "language_default": "en", "subject_default": "Hello", "correspondence_type_default": "email",
        "ignore_contact_correspondence_type": "on", "unit_cost": "1.50", "unit_duration": "5",
        "information_flow": "outbound", "initiated_by": "us", "campaign": "", "campaign_target": "",
        "campaign_response": "",
    }  # fmt: skip


def segment_line_fields(w: World) -> dict[str, object]:
    return {
        "template": w.template.pk, "description": "Line", "subject": "S", "language": "en",
        "correspondence_type": "email", "contact_via": "x@example.com", "evaluation": "neutral", "cost": "1",
        "duration": "2", "information_flow": "outbound", "initiated_by": "us", "campaign": "",
        "campaign_target": "", "campaign_response": "",
    }  # fmt: skip


def criteria_fields(w: World) -> dict[str, object]:
    return {
        "action": "add", "contact_type": "person", "company": w.company.number, "salesperson": w.salesperson.code,
        "language": "en", "city": "Par*", "country": "GB", "correspondence_type": "email", "name": "Anna*",
        "email": "*@example.com", "history": "with", "history_template": w.template.pk,
        "history_group": w.group.pk, "history_date_from": "2020-01-01", "history_date_to": "2030-01-01",
        "history_evaluation": "positive", "history_campaign": "", "history_canceled": "", "allow_existing": "on",
        "expand_companies": "", "allow_company_with_persons": "", "ignore_exclusion": "", "whole_companies": "",
        "save_code": "SAVED1", "save_description": "Saved", "save_action": "add",
    }  # fmt: skip


def template_fields(w: World) -> dict[str, object]:
    return {
        "code": "NEWTPL", "group": w.group.pk, "description": "Offer", "unit_cost": "3.50", "unit_duration": "20",
        "information_flow": "outbound", "initiated_by": "us", "campaign": "", "campaign_target": "",
        "campaign_response": "", "correspondence_type": "hard_copy", "ignore_contact_correspondence_type": "",
        "language_default": "", "wizard_action": "open",
        "languages-TOTAL_FORMS": "1", "languages-INITIAL_FORMS": "0", "languages-MIN_NUM_FORMS": "0",
        "languages-MAX_NUM_FORMS": "1000", "languages-0-language": "en", "languages-0-description": "Offer",
        "languages-0-merge_body": "Dear {contact.name}", "languages-0-id": "", "languages-0-DELETE": "",
        "languages-0-remove_attachment": "",
    }  # fmt: skip


def setup_fields(w: World) -> dict[str, object]:
    from interactions.models.setup import SETUP_EVENTS

    return {event: "" for event in SETUP_EVENTS[:6]} | {SETUP_EVENTS[0]: w.template.pk}


def log_filter_fields(w: World) -> dict[str, object]:
    return {
        "q": "Call", "contact": w.person.number, "contact_company": w.company.number,
        "salesperson": w.salesperson.pk, "template": w.template.pk, "group": w.group.pk, "campaign": "",
        "segment": w.segment.number, "logged_segment": w.logged_segment.pk, "date_from": "2020-01-01",
        "date_to": "2030-12-31", "document_type": "", "evaluation": "positive", "information_flow": "outbound",
        "canceled": "false", "per_page": "50", "page": "1", "sort": "-date", "export": "",
    }  # fmt: skip


def purge_fields(w: World) -> dict[str, object]:
    return {
        "entry_from": "1", "entry_to": "100", "date_from": "2020-01-01", "date_to": "2030-12-31",
        "contact": w.person.number, "template": w.template.pk, "group": w.group.pk,
        "salesperson": w.salesperson.pk, "campaign": "",
    }  # fmt: skip


PERIOD = lambda w: {"date_from": "2026-01-01", "date_to": "2026-12-31", "sort": "code"}  # noqa: E731

FORMS: dict[str, Case] = {
    "new interaction": Case("sales", "post", named("interactions:new"), interaction_fields),
    "postponed interaction": Case(
        "admin", "post", named("interactions:postponed-resume", lambda w: w.postponed.entry_no),
        lambda w: {**interaction_fields(w), "action": "postpone"}),
    "comment": Case("sales", "post", named("interactions:entry-detail", lambda w: w.entry.entry_no),
                    lambda w: {"date": "2026-03-01", "text": "Called back"}),
    "log actions": Case("manager", "post", named("interactions:log-actions"),
                        lambda w: {"action": "evaluate", "entry": [w.entry.entry_no], "evaluation": "positive",
                                   "confirmed": "1", "next": "/interactions/log/"}),
    "segment create": Case("sales", "post", named("interactions:segments"),
                           lambda w: {"description": "New", "salesperson": w.salesperson.pk, "date": "2026-03-02",
                                      "template": w.template.pk}),
    "segment header": Case("sales", "post", named("interactions:segment-edit", lambda w: w.segment.number),
                           segment_header_fields),
    "segment update lines": Case("sales", "post",
                                 named("interactions:segment-update-lines", lambda w: w.segment.number),
                                 lambda w: {"changes": '[{"field": "template", "old": 1, "new": 2}]',
                                            "update": ["template"]}),
    "segment criteria": Case("sales", "post", named("interactions:segment-criteria", lambda w: w.segment.number),
                             criteria_fields),
    "segment line": Case("sales", "post",
                         named("interactions:segment-line-edit", lambda w: w.segment.number, lambda w: w.line.pk),
                         segment_line_fields),
    "segment lines remove": Case("sales", "post",
                                 named("interactions:segment-lines-remove", lambda w: w.segment.number),
                                 lambda w: {"line": [w.line.pk]}),
    "segment log": Case("sales", "post", named("interactions:segment-log", lambda w: w.segment.number),
                        lambda w: {"create_follow_up": "on"}),
    "logged segment cancel": Case("manager", "post",
                                  named("interactions:logged-segment-cancel", lambda w: w.logged_segment.pk),
                                  lambda w: {"canceled": "1", "confirmed": "1"}),
    "print dialog": Case("sales", "post", named("documents:print", lambda w: w.document.pk),
                         lambda w: {"action": "preview", "language": "en", "output": "html",
                                    "log_interaction": "on"}),
    "purge": Case("manager", "post", named("interactions:purge"), purge_fields),
    "template create": Case("admin", "post", named("interactions:template-create"), template_fields),
    "template edit": Case("admin", "post", named("interactions:template-edit", lambda w: w.template.code),
                          template_fields),
    "group create": Case("admin", "post", named("interactions:group-create"),
                         lambda w: {"code": "NEWGRP", "description": "New group"}),
    "setup": Case("admin", "post", named("interactions:setup"), setup_fields),
    "postponed delete": Case("admin", "post",
                             named("interactions:postponed-delete", lambda w: w.postponed.entry_no), lambda w: {}),
    "call": Case("sales", "post", named("interactions:call-new", query="?contact=CONTACT"),
                 lambda w: {"phone_number": "+44 1", "duration": "5", "successful": "on", "subject": "Hi",
                            "description": "Call", "evaluation": "neutral"}),
    "meeting": Case("sales", "post", named("interactions:meeting-new", query="?contact=CONTACT"),
                    lambda w: {"subject": "Visit", "date": "2026-05-01", "time": "10:00", "duration": "60",
                               "place": "Office", "attendees": [w.person.pk], "message": "Welcome"}),
    "e-mail": Case("sales", "post", named("interactions:email-new", query="?contact=CONTACT"),
                   lambda w: {"action": "send", "address": "anna@example.com", "subject": "Hello",
                              "template": "", "body": "Dear Anna", "attach_entry_attachment": ""}),
}  # fmt: skip

FILTERS: dict[str, Case] = {
    "log": Case("sales", "get", named("interactions:log"), log_filter_fields, writes_on_success=False),
    "log export": Case("sales", "get", named("interactions:log"),
                       lambda w: {**log_filter_fields(w), "export": "csv"}, writes_on_success=False),
    "contacts": Case("sales", "get", named("contacts:list"),
                     lambda w: {"q": "Anna", "type": "person", "salesperson": w.salesperson.pk, "city": "Paris",
                                "language": "en", "correspondence_type": "email", "page": "1", "sort": "name"},
                     writes_on_success=False),
    "documents": Case("sales", "get", named("documents:list"),
                      lambda w: {"q": "Quote", "kind": "sales_invoice", "customer": "C0001", "vendor": "",
                                 "salesperson": w.salesperson.code, "date_from": "2026-01-01",
                                 "date_to": "2026-12-31", "page": "1"}, writes_on_success=False),
    "show document": Case("sales", "get", named("documents:show"),
                          lambda w: {"type": "sales_invoice", "number": w.document.number, "occurrence": "1",
                                     "version": "1"}, writes_on_success=False),
    "printout": Case("sales", "get", named("documents:printed", lambda w: w.document.pk),
                     lambda w: {"language": "en", "output": "pdf"}, writes_on_success=False),
    "purge filter": Case("manager", "get", named("interactions:purge"),
                         lambda w: {**purge_fields(w), "action": "confirm"}, writes_on_success=False),
    "templates period": Case("sales", "get", named("interactions:templates"), PERIOD, writes_on_success=False),
    "template period": Case("sales", "get", named("interactions:template-detail", lambda w: w.template.code),
                            PERIOD, writes_on_success=False),
    "groups period": Case("sales", "get", named("interactions:groups"), PERIOD, writes_on_success=False),
    "salespeople period": Case("sales", "get", named("interactions:salespeople"), PERIOD, writes_on_success=False),
    "segment criteria saved": Case("sales", "get",
                                   named("interactions:segment-criteria", lambda w: w.segment.number),
                                   lambda w: {"saved": "SAVED1"}, writes_on_success=False),
    "segment lines page": Case("sales", "get", named("interactions:segment-detail", lambda w: w.segment.number),
                               lambda w: {"page": "1", "sort": "contact"}, writes_on_success=False),
    "new interaction prefill": Case("sales", "get", named("interactions:new"),
                                    lambda w: {"contact": w.person.number, "template": w.template.code,
                                               "salesperson": w.salesperson.code, "campaign": "",
                                               "segment": w.segment.number}, writes_on_success=False),
    "contact search": Case("sales", "get", named("interactions:contact-search"),
                           lambda w: {"q": "Anna", "contact": "Anna"}, writes_on_success=False),
    "e-mail prefill": Case("sales", "get", named("interactions:email-new"),
                           lambda w: {"contact": w.person.number, "entry": w.entry.entry_no},
                           writes_on_success=False),
    "call prefill": Case("sales", "get", named("interactions:call-new"),
                         lambda w: {"contact": w.person.number, "segment": w.segment.number},
                         writes_on_success=False),
    "postponed page": Case("sales", "get", named("interactions:postponed"), lambda w: {"page": "1", "sort": "date"},
                           writes_on_success=False),
    "logged segments page": Case("sales", "get", named("interactions:logged-segments"),
                                 lambda w: {"page": "1", "sort": "-pk"}, writes_on_success=False),
}  # fmt: skip


def _send(client: Client, case: Case, world: World, data: dict) -> object:
    url = case.url(world).replace("CONTACT", world.person.number)
    return getattr(client, case.method)(url, data)


def _check(case: Case, world: World, client: Client, data: dict) -> None:
    before = row_counts()
    response = _send(client, case, world, data)
    assert response.status_code in ALLOWED, (response.status_code, data)
    if response.status_code != 302 or not case.writes_on_success:
        assert row_counts() == before, (response.status_code, data)


@pytest.fixture
def world(tasks_in_process):
    return build_world()


@pytest.fixture
def clients(world):
    """One logged-in client per role, made once per test (not once per example)."""
    return {role: client_of(role) for role in ("sales", "manager", "admin")}


@pytest.mark.parametrize("name", FORMS)
@given(data=st.data())
def test_no_form_answers_hostile_input_with_a_server_error_or_a_partial_write(name, world, clients, data):
    case = FORMS[name]
    payload = data.draw(data_strategy(case.baseline(world)), label="form data")
    _check(case, world, clients[case.role], payload)


# Query strings reach fewer code paths than forms: half the profile's examples.
@pytest.mark.parametrize("name", FILTERS)
@settings(max_examples=max(25, settings.default.max_examples // 2))
@given(data=st.data())
def test_no_filter_answers_a_hostile_query_string_with_a_server_error_or_a_write(name, world, clients, data):
    case = FILTERS[name]
    payload = data.draw(data_strategy(case.baseline(world)), label="query")
    _check(case, world, clients[case.role], payload)


@pytest.mark.parametrize(
    "url",
    [
        "/interactions/log/99999999999999999999999/",
        "/interactions/log/0/",
        "/interactions/attachments/99999999999999999999/",
        "/interactions/postponed/9223372036854775808/resume/",
        "/interactions/templates/%00/",
        "/interactions/templates/" + "X" * 5000 + "/",
        "/interactions/segments/%00/",
        "/interactions/segments/SEG%2F1/lines/99999999999999999999/",
        "/contacts/%00/",
        "/contacts/" + "Я" * 300 + "/",
        "/documents/99999999999999999999/",
        "/documents/versions/99999999999999999999/",
        "/interactions/logged-segments/99999999999999999999/canceled/",
    ],
)
def test_unknown_and_out_of_range_ids_in_the_path_are_404(url, world):
    response = client_of("admin").get(url)
    assert response.status_code in (404, 405), response.status_code


PAGINATED = [
    "/interactions/log/",
    "/documents/",
    "/contacts/",
    "/interactions/postponed/",
    "/interactions/segments/",
    "/interactions/logged-segments/",
    "/interactions/salespeople/",
    "/interactions/segments/SM00001/",
]


@pytest.mark.parametrize("url", PAGINATED)
@pytest.mark.parametrize(
    "query",
    ["page=99999999999999999999999", "page=9223372036854775807", "page=-3", "page=0", "page=x",
     "per_page=0", "per_page=-1", "per_page=100000000", "per_page=1e3"],
)  # fmt: skip
def test_any_page_and_page_size_in_the_address_is_answered_without_a_server_error(url, query, world):
    response = client_of("admin").get(f"{url}?{query}")
    assert response.status_code in (200, 404), response.status_code
    table = (response.context or {}).get("table") or (response.context or {}).get("lines")
    if table is not None and getattr(table, "paginator", None) is not None:
        assert 1 <= table.paginator.per_page <= 200


@pytest.mark.parametrize(
    "url",
    ["/interactions/email/new/?contact=%00", "/interactions/calls/new/?contact=CONTACT&segment=a%00",
     "/interactions/meetings/new/?contact=a%00b", "/interactions/log/?q=%00", "/interactions/new/?contact=%00",
     "/interactions/new/contacts/?q=%00", "/contacts/?q=x%00", "/documents/?q=%00", "/documents/show/?number=%00"],
)  # fmt: skip
def test_a_nul_character_in_the_query_string_is_a_bad_request(url, world):
    assert client_of("sales").get(url.replace("CONTACT", world.person.number)).status_code == 400

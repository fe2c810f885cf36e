"""Named permissions (interactions/permissions.py): every guarded action is checked by its
page and by its service, each on its own; one owner rule for the entries a user recorded;
postponed entries are neither canceled nor restored.

For each guarded action the acting user holds every permission of the project but the one
under test, so a refusal comes from that permission alone:

- the service called directly refuses (PermissionDenied) and writes nothing: removing the
  service's check fails this;
- the page, with the checks of every service neutralised, still refuses and writes
  nothing: removing the page's own check fails this;
- the same request by a user who holds the permission does write (services neutralised
  as well), so that the page's refusal is not an accident of bad input.
"""

import dataclasses
import datetime
import importlib
import json
import pkgutil
from collections.abc import Callable

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

import interactions.permissions
import interactions.services
from crm.contacts.models import CorrespondenceType
from crm.documents.tests.factories import CustomerFactory, DocumentFactory
from crm.documents.types import DocumentType
from interactions.forms.setup import (
    InteractionTemplateForm,
    InteractionTemplateLanguageFormSet,
    InteractionTemplateSetupForm,
)
from interactions.models import (
    Attachment,
    DeliveryStatus,
    InteractionLogEntry,
    InteractionTemplate,
    InteractionTemplateSetup,
)
from interactions.permissions import (
    ACT_ON_OTHERS,
    ADD_GROUP,
    ADD_SEGMENT,
    ADD_SEGMENT_LINES,
    ADD_TEMPLATE,
    CANCEL,
    CANCEL_LOGGED_SEGMENT,
    CHANGE_GROUP,
    CHANGE_SEGMENT,
    CHANGE_SEGMENT_LINES,
    CHANGE_SETUP,
    CHANGE_TEMPLATE,
    COMMENT,
    DELETE_LOGGED_SEGMENTS,
    DELETE_SEGMENT,
    DELETE_SEGMENT_LINES,
    DELETE_TEMPLATE,
    EVALUATE,
    LOG_SEGMENT,
    PURGE,
    RECORD,
    SAVE_CRITERIA,
)
from interactions.selectors.segments import SegmentCriteria, SegmentOptions
from interactions.services import log_entries, printing, recording, segments, setup
from interactions.services.communication import calls, emails, meetings
from interactions.services.purge import archive
from interactions.services.purge import service as purge

from .email_support import set_up_templates
from .factories import (
    CompanyFactory,
    InteractionGroupFactory,
    InteractionLogEntryFactory,
    InteractionTemplateFactory,
    LoggedSegmentFactory,
    PersonFactory,
    SalespersonFactory,
    SegmentFactory,
    SegmentLineFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]

ACTIONS = reverse("interactions:log-actions")
APPS = ("contacts", "documents", "interactions")


def user_without(name: str | None):
    """A user with every permission of the project's apps but `name` (None: every one)."""
    permissions = Permission.objects.filter(content_type__app_label__in=APPS)
    if name is not None:
        app_label, codename = name.split(".")
        permissions = permissions.exclude(content_type__app_label=app_label, codename=codename)
    user = UserFactory(username="acting-user")
    user.user_permissions.set(permissions)
    return user


def snapshot() -> dict:
    """Every row of the module's and the host's tables, and the mail sent: what a write changes."""
    rows = {
        model._meta.label: list(model.objects.order_by("pk").values())
        for label in APPS
        for model in apps.get_app_config(label).get_models()
    }
    rows["mail"] = [message.subject for message in mail.outbox]
    return rows


@dataclasses.dataclass
class World:
    """One of everything the guarded actions act on, for the acting user `me`."""

    salesperson: object
    person: object
    group: object
    template: object
    entry: object
    canceled_entry: object
    own_postponed: object
    others_postponed: object
    own_email: object
    others_email: object
    segment: object
    line: object
    logged_segment: object


def failed_email(*, contact, template, user):
    """An e-mail whose delivery failed: "Resend" sends its stored message again."""
    content = b"Subject: Price list\r\nTo: anna@example.com\r\n\r\nDear Anna"
    message = Attachment.objects.create(
        file=ContentFile(content, name="message.eml"),
        file_name="message.eml",
        content_type=emails.EML_CONTENT_TYPE,
        size=len(content),
    )
    return InteractionLogEntryFactory(
        contact=contact,
        template=template,
        user=user,
        attachment=message,
        correspondence_type=CorrespondenceType.EMAIL,
        delivery_status=DeliveryStatus.ERROR,
        delivery_error="timed out",
    )


def build_world(me) -> World:
    """Also a template that nothing uses (it can be deleted) and a canceled logged segment."""
    someone_else = UserFactory(username="someone-else")
    salesperson = SalespersonFactory(user=me)
    company = CompanyFactory(salesperson=salesperson, email="office@example.com")
    person = PersonFactory(
        name="Anna Smith", company=company, email="anna@example.com", phone="+7 495 123-45-67", salesperson=salesperson
    )
    PersonFactory(name="Boris Ivanov", company=company, email="boris@example.com")
    PersonFactory(name="Clara Jones", company=company)
    group = InteractionGroupFactory(code="LETTER")
    template = InteractionTemplateFactory(code="LETTER", group=group)
    InteractionTemplateFactory(code="UNUSED", group=group)
    email_template = set_up_templates()["emails"]
    segment = SegmentFactory(salesperson=salesperson, template=template, subject_default="New")
    line = SegmentLineFactory(segment=segment, contact=person, contact_company=company, subject="Old")
    # A criteria step, for "go back".
    segments.add_contacts(
        segment=segment, criteria=SegmentCriteria(name="Boris Ivanov"), options=SegmentOptions(), user=None
    )
    logged_segment = LoggedSegmentFactory()
    InteractionLogEntryFactory(contact=person, template=template, logged_segment=logged_segment)
    LoggedSegmentFactory(canceled=True)

    def postponed(user):
        return InteractionLogEntryFactory(
            contact=person, template=template, salesperson=salesperson, postponed=True, user=user
        )

    return World(
        salesperson=salesperson,
        person=person,
        group=group,
        template=template,
        entry=InteractionLogEntryFactory(contact=person, template=template),
        canceled_entry=InteractionLogEntryFactory(
            contact=person, template=template, canceled=True, canceled_changed_at=timezone.now()
        ),
        own_postponed=postponed(me),
        others_postponed=postponed(someone_else),
        own_email=failed_email(contact=person, template=email_template, user=me),
        others_email=failed_email(contact=person, template=email_template, user=someone_else),
        segment=segment,
        line=line,
        logged_segment=logged_segment,
    )


# --- What each guarded action posts, and how its service is called ---------------------


def interaction_post(w: World, **changes) -> dict:
    data = {
        "action": "save",
        "contact": w.person.number,
        "template": w.template.pk,
        "salesperson": w.salesperson.pk,
        "date": "2026-03-02",
        "time": "09:30",
        "description": "Visit about the spring order",
        "information_flow": w.template.information_flow,
        "initiated_by": w.template.initiated_by,
        "cost": "1.00",
        "duration": "10",
        "evaluation": "",
    }
    return {**data, **changes}


def details(w: World) -> recording.InteractionDetails:
    return recording.InteractionDetails(
        contact=w.person,
        template=w.template,
        salesperson=w.salesperson,
        date=datetime.date(2026, 3, 2),
        description="Visit about the spring order",
    )


def template_post(code: str, w: World) -> dict:
    return {
        "code": code,
        "group": w.group.pk,
        "description": "Written offer",
        "unit_cost": "3.50",
        "unit_duration": "20",
        "information_flow": "outbound",
        "initiated_by": "us",
        "campaign": "",
        "correspondence_type": "hard_copy",
        "language_default": "",
        "wizard_action": "open",
        "languages-TOTAL_FORMS": "0",
        "languages-INITIAL_FORMS": "0",
        "languages-MIN_NUM_FORMS": "0",
        "languages-MAX_NUM_FORMS": "1000",
    }


def save_template(w: World, user, *, instance: InteractionTemplate):
    form = InteractionTemplateForm(template_post(instance.code or "OFFER", w), instance=instance)
    languages = InteractionTemplateLanguageFormSet(
        template_post(instance.code or "OFFER", w), instance=form.instance, prefix="languages"
    )
    assert form.is_valid() and languages.is_valid()
    return setup.save_template(
        values=form.values(), languages=languages.language_changes(), template=instance, user=user
    )


def changed_line(w: World):
    w.line.subject = "Personal"
    return w.line


def setup_post() -> dict:
    return {"emails": "", "outgoing_calls": "", "meeting_invitations": ""}


def header_post(w: World) -> dict:
    segment = w.segment
    return {
        "description": "Changed", "salesperson": segment.salesperson_id, "date": segment.date.isoformat(),
        "template": segment.template_id, "language_default": "", "subject_default": segment.subject_default,
        "correspondence_type_default": "", "unit_cost": "0", "unit_duration": "0", "information_flow": "",
        "initiated_by": "", "campaign": "",
    }  # fmt: skip


def criteria_post(action: str, name: str) -> dict:
    return {"action": action, "name": name, "history_canceled": "no"}


def meeting_post(w: World) -> dict:
    start = timezone.localtime() + datetime.timedelta(days=3)
    return {
        "subject": "Project kick-off",
        "date": start.strftime("%Y-%m-%d"),
        "time": "10:30",
        "duration": "90",
        "place": "Room 3",
        "attendees": [w.person.pk],
        "message": "Let us start.",
    }


def url(name: str, *args: Callable[[World], object], query: Callable[[World], str] | None = None):
    def build(w: World) -> str:
        address = reverse(name, args=[arg(w) for arg in args])
        return f"{address}?{query(w)}" if query else address

    return build


contact_query = lambda w: f"contact={w.person.number}"  # noqa: E731
segment_number = lambda w: w.segment.number  # noqa: E731


@dataclasses.dataclass(frozen=True)
class Guarded:
    permission: str  # the one permission the acting user lacks
    url: Callable[[World], str]
    data: Callable[[World], dict]
    service: Callable[[World, object], object]  # the service called as the page calls it
    status: int = 403  # what the page answers a user without the permission


GUARDED = {
    # --- The log -----------------------------------------------------------------------
    "record": Guarded(
        RECORD,
        url("interactions:new"),
        interaction_post,
        lambda w, user: recording.record_interaction(details=details(w), user=user),
    ),
    "postpone": Guarded(
        RECORD,
        url("interactions:new"),
        lambda w: interaction_post(w, action="postpone"),
        lambda w, user: recording.record_interaction(details=details(w), user=user, postpone=True),
    ),
    "cancel": Guarded(
        CANCEL,
        lambda w: ACTIONS,
        lambda w: {"action": "cancel", "entry": [w.entry.pk], "confirmed": "on"},
        lambda w, user: log_entries.cancel_entries(entry_numbers=[w.entry.pk], user=user),
    ),
    "restore": Guarded(
        CANCEL,
        lambda w: ACTIONS,
        lambda w: {"action": "restore", "entry": [w.canceled_entry.pk], "confirmed": "on"},
        lambda w, user: log_entries.restore_entries(entry_numbers=[w.canceled_entry.pk], user=user),
    ),
    "evaluate": Guarded(
        EVALUATE,
        lambda w: ACTIONS,
        lambda w: {"action": "evaluate", "entry": [w.entry.pk], "evaluation": "positive"},
        lambda w, user: log_entries.evaluate_entries(entry_numbers=[w.entry.pk], evaluation="positive", user=user),
    ),
    "comment": Guarded(
        COMMENT,
        lambda w: w.entry.get_absolute_url(),
        lambda w: {"date": "2026-03-02", "text": "Call back on Monday"},
        lambda w, user: log_entries.add_comment(entry=w.entry, text="Call back on Monday", user=user),
    ),
    "purge": Guarded(
        PURGE,
        url("interactions:purge"),
        lambda w: {},
        lambda w, user: purge.purge_canceled_interactions(user=user),
    ),
    # --- Postponed interactions: the user's own (RECORD), someone else's (the owner rule) ---
    "complete own postponed": Guarded(
        RECORD,
        url("interactions:postponed-resume", lambda w: w.own_postponed.pk),
        interaction_post,
        lambda w, user: recording.complete_postponed_interaction(entry=w.own_postponed, details=details(w), user=user),
    ),
    "delete own postponed": Guarded(
        RECORD,
        url("interactions:postponed-delete", lambda w: w.own_postponed.pk),
        lambda w: {},
        lambda w, user: recording.delete_postponed_interaction(entry=w.own_postponed, user=user),
    ),
    "complete someone else's postponed": Guarded(
        ACT_ON_OTHERS,
        url("interactions:postponed-resume", lambda w: w.others_postponed.pk),
        interaction_post,
        lambda w, user: recording.complete_postponed_interaction(
            entry=w.others_postponed, details=details(w), user=user
        ),
    ),
    "postpone someone else's again": Guarded(
        ACT_ON_OTHERS,
        url("interactions:postponed-resume", lambda w: w.others_postponed.pk),
        lambda w: interaction_post(w, action="postpone"),
        lambda w, user: recording.update_postponed_interaction(entry=w.others_postponed, details=details(w), user=user),
    ),
    "delete someone else's postponed": Guarded(
        ACT_ON_OTHERS,
        url("interactions:postponed-delete", lambda w: w.others_postponed.pk),
        lambda w: {},
        lambda w, user: recording.delete_postponed_interaction(entry=w.others_postponed, user=user),
    ),
    # --- E-mails, calls, meetings ----------------------------------------------------------
    "send e-mail": Guarded(
        RECORD,
        url("interactions:email-new", query=contact_query),
        lambda w: {"action": "send", "address": "anna@example.com", "subject": "Price list", "body": "Dear Anna"},
        lambda w, user: emails.send_email(
            contact=w.person, subject="Price list", body="Dear Anna", attachments=[], user=user
        ),
    ),
    "resend own e-mail": Guarded(
        RECORD,
        url("interactions:entry-resend", lambda w: w.own_email.pk),
        lambda w: {},
        lambda w, user: emails.resend_email(entry=w.own_email, user=user),
    ),
    # The page says why, on the entry's page, rather than answering 403.
    "resend someone else's e-mail": Guarded(
        ACT_ON_OTHERS,
        url("interactions:entry-resend", lambda w: w.others_email.pk),
        lambda w: {},
        lambda w, user: emails.resend_email(entry=w.others_email, user=user),
        status=302,
    ),
    "record phone call": Guarded(
        RECORD,
        url("interactions:call-new", query=contact_query),
        lambda w: {"phone_number": "+7 495 123-45-67", "duration": "5", "successful": "on", "evaluation": ""},
        lambda w, user: calls.record_phone_call(
            contact=w.person,
            phone_number="+7 495 123-45-67",
            duration=5,
            successful=True,
            description="",
            evaluation="",
            user=user,
        ),  # fmt: skip
    ),
    "invite to meeting": Guarded(
        RECORD,
        url("interactions:meeting-new", query=contact_query),
        meeting_post,
        lambda w, user: meetings.invite_to_meeting(
            contact=w.person,
            attendees=[w.person],
            meeting=meetings.Meeting(
                subject="Project kick-off", start=timezone.now() + datetime.timedelta(days=3), duration=90
            ),
            user=user,
        ),
    ),
    # --- Setup pages -------------------------------------------------------------------------
    "create group": Guarded(
        ADD_GROUP,
        url("interactions:group-create"),
        lambda w: {"code": "VISIT", "description": "Visits"},
        lambda w, user: setup.save_group(code="VISIT", description="Visits", user=user),
    ),
    "change group": Guarded(
        CHANGE_GROUP,
        url("interactions:group-edit", lambda w: w.group.code),
        lambda w: {"code": w.group.code, "description": "Changed"},
        lambda w, user: setup.save_group(code=w.group.code, description="Changed", group=w.group, user=user),
    ),
    "create template": Guarded(
        ADD_TEMPLATE,
        url("interactions:template-create"),
        lambda w: template_post("OFFER", w),
        lambda w, user: save_template(w, user, instance=InteractionTemplate()),
    ),
    "change template": Guarded(
        CHANGE_TEMPLATE,
        url("interactions:template-edit", lambda w: w.template.code),
        lambda w: template_post(w.template.code, w),
        lambda w, user: save_template(w, user, instance=w.template),
    ),
    "delete template": Guarded(
        DELETE_TEMPLATE,
        url("interactions:template-delete", lambda w: "UNUSED"),
        lambda w: {},
        lambda w, user: setup.delete_template(template=InteractionTemplate.objects.get(code="UNUSED"), user=user),
    ),
    "change the template setup": Guarded(
        CHANGE_SETUP,
        url("interactions:setup"),
        lambda w: setup_post(),
        lambda w, user: setup.save_template_setup(
            templates_by_event=_valid(
                InteractionTemplateSetupForm(setup_post(), instance=InteractionTemplateSetup.load())
            ).templates_by_event(),
            user=user,
        ),
    ),
    # --- Segments ----------------------------------------------------------------------------
    "create segment": Guarded(
        ADD_SEGMENT,
        url("interactions:segments"),
        lambda w: {"description": "Spring mailing", "date": "2026-03-01", "template": w.template.pk},
        lambda w, user: segments.create_segment(
            description="Spring mailing", salesperson=None, date=None, template=w.template, user=user
        ),
    ),
    "change segment header": Guarded(
        CHANGE_SEGMENT,
        url("interactions:segment-edit", segment_number),
        header_post,
        lambda w, user: segments.update_segment_header(
            segment=w.segment, changes={"description": "Changed"}, user=user
        ),
    ),
    "update lines from the header": Guarded(
        CHANGE_SEGMENT_LINES,
        url("interactions:segment-update-lines", segment_number),
        lambda w: {
            "changes": json.dumps([{"field": "subject_default", "old": "Old", "new": "New"}]),
            "update": "subject_default",
        },
        lambda w, user: segments.update_lines_from_header(
            segment=w.segment, field="subject_default", old_value="Old", new_value="New", user=user
        ),
    ),
    "delete segment": Guarded(
        DELETE_SEGMENT,
        url("interactions:segment-delete", segment_number),
        lambda w: {},
        lambda w, user: segments.delete_segment(segment=w.segment, user=user),
    ),
    "change segment line": Guarded(
        CHANGE_SEGMENT_LINES,
        url("interactions:segment-line-edit", segment_number, lambda w: w.line.pk),
        lambda w: {"subject": "Personal", "cost": "4.00", "duration": "15", "template": w.template.pk},
        lambda w, user: segments.save_line(line=changed_line(w), user=user),
    ),
    "remove segment lines": Guarded(
        DELETE_SEGMENT_LINES,
        url("interactions:segment-lines-remove", segment_number),
        lambda w: {"line": [w.line.pk]},
        lambda w, user: segments.remove_lines(segment=w.segment, line_ids=[w.line.pk], user=user),
    ),
    "add contacts by criteria": Guarded(
        ADD_SEGMENT_LINES,
        url("interactions:segment-criteria", segment_number),
        lambda w: criteria_post("add", "Clara Jones"),
        lambda w, user: segments.add_contacts(
            segment=w.segment, criteria=SegmentCriteria(name="Clara Jones"), options=SegmentOptions(), user=user
        ),
    ),
    "add contacts needs the segment's change permission": Guarded(
        CHANGE_SEGMENT,
        url("interactions:segment-criteria", segment_number),
        lambda w: criteria_post("add", "Clara Jones"),
        lambda w, user: segments.add_contacts(
            segment=w.segment, criteria=SegmentCriteria(name="Clara Jones"), options=SegmentOptions(), user=user
        ),
    ),
    "reduce contacts by criteria": Guarded(
        DELETE_SEGMENT_LINES,
        url("interactions:segment-criteria", segment_number),
        lambda w: criteria_post("reduce", "Boris Ivanov"),
        lambda w, user: segments.reduce_contacts(
            segment=w.segment, criteria=SegmentCriteria(name="Boris Ivanov"), options=SegmentOptions(), user=user
        ),
    ),
    "save criteria": Guarded(
        SAVE_CRITERIA,
        url("interactions:segment-criteria", segment_number),
        lambda w: {**criteria_post("save", "Anna Smith"), "save_code": "ANNA", "save_action": "add"},
        lambda w, user: segments.save_criteria(
            code="ANNA",
            description="",
            action="add",
            criteria=SegmentCriteria(name="Anna"),
            options=SegmentOptions(),
            user=user,
        ),  # fmt: skip
    ),
    "go back a step": Guarded(
        CHANGE_SEGMENT,
        url("interactions:segment-go-back", segment_number),
        lambda w: {},
        lambda w, user: segments.go_back(segment=w.segment, user=user),
    ),
    "log segment": Guarded(
        LOG_SEGMENT,
        url("interactions:segment-log", segment_number),
        lambda w: {},
        lambda w, user: segments.log_segment(segment=w.segment, user=user),
    ),
    "cancel logged segment": Guarded(
        CANCEL_LOGGED_SEGMENT,
        url("interactions:logged-segment-cancel", lambda w: w.logged_segment.pk),
        lambda w: {"canceled": "1", "confirmed": "on"},
        lambda w, user: segments.set_logged_segment_canceled(logged_segment=w.logged_segment, canceled=True, user=user),
    ),
    "delete canceled logged segments": Guarded(
        DELETE_LOGGED_SEGMENTS,
        url("interactions:logged-segments-delete-canceled"),
        lambda w: {"confirmed": "on"},
        lambda w, user: purge.delete_canceled_logged_segments(user=user),
    ),
}


def purge_archive(w: World, tmp_path) -> str:
    """The canceled entries purged into an archive, which can bring them back."""
    path = tmp_path / "purged.jsonl"
    assert purge.purge_canceled_interactions(archive_path=path, user=None)
    return str(path)


def invoice_with_template(w: World, tmp_path):
    """An invoice of the contact's company, and a template that records its print."""
    setup_row = InteractionTemplateSetup.load()
    setup_row.sales_invoice = InteractionTemplateFactory(code="S-INVOICE", group=w.group)
    setup_row.save()
    return DocumentFactory(customer=CustomerFactory(contact=w.person.company))


# Services that no page of the module calls with a user: a command restores a purge
# archive; printing with logging is the documents' page, which the module's receiver
# answers. (permission, what the service needs, made first; the call)
SERVICE_ONLY = {
    "restore a purge archive": (
        PURGE,
        purge_archive,
        lambda path, user: archive.restore_purged_interactions(path=path, user=user),
    ),
    "log a printed document": (
        RECORD,
        invoice_with_template,
        lambda document, user: printing.log_printed_document(
            document=document,
            document_type=DocumentType.SALES_INVOICE,
            document_version=0,
            pdf=b"%PDF-1.4",
            pdf_file_name="invoice.pdf",
            user=user,
        ),
    ),
}


def _valid(form):
    assert form.is_valid(), form.errors
    return form


# --- Neutralising the services' checks -----------------------------------------------------

PERMISSIVE = {
    "require_permission": lambda user, name: None,
    "require_may_act_on_entry": lambda *, user, entry: None,
    "owner_lookups": lambda user: {},
}


@pytest.fixture
def unchecked_services(monkeypatch):
    """Every service module's checks made no-ops: what the page alone still refuses."""
    for module_info in pkgutil.walk_packages(interactions.services.__path__, "interactions.services."):
        module = importlib.import_module(module_info.name)
        # The checks are imported by name, so that this replaces them; a module that went
        # through `permissions.` would keep its checks and this test would prove nothing.
        assert getattr(module, "permissions", None) is not interactions.permissions, module.__name__
        for name, stand_in in PERMISSIVE.items():
            if hasattr(module, name):
                monkeypatch.setattr(module, name, stand_in)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- Each layer on its own -----------------------------------------------------------------


@pytest.mark.parametrize("case", GUARDED.values(), ids=map(slugify, GUARDED))
def test_the_service_refuses_a_user_without_the_permission_and_writes_nothing(case):
    user = user_without(case.permission)
    world = build_world(user)
    before = snapshot()
    with pytest.raises(PermissionDenied):
        case.service(world, user)
    assert snapshot() == before


@pytest.mark.parametrize(("permission", "prepare", "service"), SERVICE_ONLY.values(), ids=map(slugify, SERVICE_ONLY))
def test_a_service_without_a_page_refuses_a_user_without_the_permission(permission, prepare, service, tmp_path):
    user = user_without(permission)
    subject = prepare(build_world(user), tmp_path)
    before = snapshot()
    with pytest.raises(PermissionDenied):
        service(subject, user)
    assert snapshot() == before
    service(subject, None)  # what the refusal kept from happening
    assert snapshot() != before


@pytest.mark.parametrize("case", GUARDED.values(), ids=map(slugify, GUARDED))
def test_the_page_refuses_a_user_without_the_permission_on_its_own(case, unchecked_services):
    user = user_without(case.permission)
    world = build_world(user)
    before = snapshot()
    response = logged_in(user).post(case.url(world), case.data(world))
    assert response.status_code == case.status
    assert snapshot() == before


@pytest.mark.parametrize("case", GUARDED.values(), ids=map(slugify, GUARDED))
def test_the_same_request_writes_for_a_user_with_the_permission(case, unchecked_services):
    user = user_without(None)
    world = build_world(user)
    before = snapshot()
    response = logged_in(user).post(case.url(world), case.data(world))
    assert response.status_code in (200, 302)
    assert snapshot() != before


# --- The owner rule ------------------------------------------------------------------------


@pytest.mark.parametrize("group", ["Sales manager", "Administrator"])
def test_sales_managers_and_administrators_may_act_on_others_entries(group):
    assert UserFactory(groups=[group]).has_perm(ACT_ON_OTHERS)


def test_sales_staff_act_on_their_own_entries_only():
    sales_staff = Group.objects.get(name="Sales staff")
    assert not sales_staff.permissions.filter(codename="act_on_others_interactionlogentry").exists()
    user = UserFactory(groups=["Sales staff"])
    own, others = InteractionLogEntryFactory(user=user), InteractionLogEntryFactory(user=UserFactory())
    by_nobody = InteractionLogEntryFactory(user=None)
    rule = interactions.permissions.may_act_on_entry
    assert rule(user=user, entry=own)
    assert not rule(user=user, entry=others)
    assert not rule(user=user, entry=by_nobody)  # recorded by the system: nobody's own
    assert rule(user=None, entry=others)  # a system caller


def test_the_cancel_permission_no_longer_stands_in_for_acting_on_others():
    canceler = UserFactory(username="canceler")
    canceler.user_permissions.set(
        Permission.objects.filter(codename__in=["add_interactionlogentry", "cancel_interactionlogentry"])
    )
    world = build_world(canceler)
    with pytest.raises(PermissionDenied):
        recording.delete_postponed_interaction(entry=world.others_postponed, user=canceler)
    acting = UserFactory(username="acting-on-others")
    acting.user_permissions.set(
        Permission.objects.filter(codename__in=["add_interactionlogentry", "act_on_others_interactionlogentry"])
    )
    assert recording.delete_postponed_interaction(entry=world.others_postponed, user=acting)


OWNER_ACTIONS = {
    "resume": lambda w: (reverse("interactions:postponed-resume", args=[w.others_postponed.pk]), interaction_post(w)),
    "delete": lambda w: (reverse("interactions:postponed-delete", args=[w.others_postponed.pk]), {}),
    "resend": lambda w: (reverse("interactions:entry-resend", args=[w.others_email.pk]), {}),
}


@pytest.mark.parametrize("action", OWNER_ACTIONS.values(), ids=map(slugify, OWNER_ACTIONS))
def test_sales_staff_cannot_act_on_someone_elses_entry_and_a_sales_manager_can(action):
    sales, manager = UserFactory(groups=["Sales staff"]), UserFactory(username="manager", groups=["Sales manager"])
    world = build_world(sales)
    url, data = action(world)
    before = snapshot()
    logged_in(sales).post(url, data)
    assert snapshot() == before
    response = logged_in(manager).post(url, data)
    assert response.status_code == 302
    assert snapshot() != before


# --- Postponed entries stay out of cancel and restore --------------------------------------


@pytest.mark.parametrize(("action", "canceled"), [("cancel", False), ("restore", False), ("restore", True)])
def test_a_postponed_entry_cannot_be_canceled_or_restored_by_a_crafted_post(manager_client, action, canceled):
    entry = InteractionLogEntryFactory(postponed=True, canceled=canceled, user=UserFactory())
    before = snapshot()
    response = manager_client.post(
        ACTIONS, {"action": action, "entry": [entry.entry_no], "confirmed": "on"}, follow=True
    )
    assert snapshot() == before
    assert (
        f"Entry {entry.entry_no} is a postponed interaction and cannot be canceled or restored"
        in response.content.decode()
    )


def test_the_services_refuse_postponed_entries_and_say_which(manager_user):
    postponed = InteractionLogEntryFactory(postponed=True)
    canceled_postponed = InteractionLogEntryFactory(postponed=True, canceled=True)
    entry = InteractionLogEntryFactory()
    canceled = log_entries.cancel_entries(entry_numbers=[postponed.pk, entry.pk], user=manager_user)
    restored = log_entries.restore_entries(entry_numbers=[canceled_postponed.pk, entry.pk], user=manager_user)
    assert (canceled.changed, canceled.postponed) == ([entry.pk], [postponed.pk])
    assert (restored.changed, restored.postponed) == ([entry.pk], [canceled_postponed.pk])
    assert InteractionLogEntry.objects.get(pk=canceled_postponed.pk).canceled
    assert not InteractionLogEntry.objects.get(pk=postponed.pk).canceled


def test_every_permission_name_is_one_that_django_knows():
    # A misspelt name would make its checks refuse everyone, silently.
    known = {f"{p.content_type.app_label}.{p.codename}" for p in Permission.objects.select_related("content_type")}
    names = {
        value for name, value in vars(interactions.permissions).items() if name.isupper() and isinstance(value, str)
    }
    assert names <= known, sorted(names - known)

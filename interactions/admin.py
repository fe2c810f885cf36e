"""Django admin for setup: groups, templates with their languages, the template setup.
Log entries are read-only here: they are canceled, never edited away.

The admin validates with the forms the module's pages use (interactions/forms/setup.py) and
saves through the same services (interactions/services/setup.py)."""

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from crm.contacts.selectors import contact_by_number

from .forms.mail_capture import CaptureSettingsForm, MailboxForm
from .forms.setup import (
    BaseInteractionTemplateLanguageFormSet,
    InteractionGroupForm,
    InteractionTemplateForm,
    InteractionTemplateLanguageForm,
    InteractionTemplateSetupForm,
)
from .forms.webhooks import WebhookSubscriptionAdminForm
from .models import (
    SETUP_SECTIONS,
    Attachment,
    CapturedEmail,
    InteractionComment,
    InteractionGroup,
    InteractionLogEntry,
    InteractionTemplate,
    InteractionTemplateLanguage,
    InteractionTemplateSetup,
    LoggedSegment,
    Mailbox,
    MailboxRun,
    MailCaptureSettings,
    PostponedInteraction,
    SavedSegmentCriteria,
    SavedSegmentCriteriaStep,
    Segment,
    SegmentLine,
    SkippedMessage,
    WebhookAttempt,
    WebhookSubscription,
)
from .permissions import RUN_MAILBOX
from .selectors import log as selectors_log
from .selectors import statistics as selectors
from .services import setup as setup_services
from .services import webhooks as webhook_services
from .services.mail_capture import mailboxes as mail_capture_services


def _totals_html(totals: selectors.InteractionTotals):
    return format_html(
        "{}: <strong>{}</strong> &middot; {}: <strong>{}</strong> &middot; {}: <strong>{}</strong>",
        _("Interactions"),
        totals.count,
        _("Cost"),
        totals.cost,
        _("Duration (min.)"),
        totals.duration,
    )


@admin.register(InteractionGroup)
class InteractionGroupAdmin(admin.ModelAdmin):
    form = InteractionGroupForm
    list_display = ["code", "description", "template_count"]
    search_fields = ["code", "description"]
    readonly_fields = ["totals"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(template_count=Count("templates"))

    def save_model(self, request, obj, form, change):
        setup_services.save_group(
            group=obj, code=form.cleaned_data["code"], description=form.cleaned_data["description"], user=request.user
        )

    @admin.display(description=_("templates"), ordering="template_count")
    def template_count(self, group):
        return group.template_count

    @admin.display(description=_("Totals"))
    def totals(self, group):
        if not group.pk:
            return "-"
        return _totals_html(selectors.group_totals(group))


def _record_saved_rows(formset: BaseInteractionTemplateLanguageFormSet) -> None:
    """What the admin's history says about the language rows saved by the service, as the
    formset's own save would have recorded it."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    for index, row_form in enumerate(formset.forms):
        existing = index < formset.initial_form_count()
        if formset._should_delete_form(row_form):
            if existing:
                formset.deleted_objects.append(row_form.instance)
        elif row_form.has_changed():
            if existing:
                formset.changed_objects.append((row_form.instance, row_form.changed_data))
            else:
                formset.new_objects.append(row_form.instance)


class InteractionTemplateLanguageInline(admin.TabularInline):
    model = InteractionTemplateLanguage
    form = InteractionTemplateLanguageForm
    formset = BaseInteractionTemplateLanguageFormSet
    fields = ["language", "description", "current_attachment", "upload", "remove_attachment", "merge_body"]
    readonly_fields = ["current_attachment"]
    extra = 0

    @admin.display(description=_("attachment"))
    def current_attachment(self, row):
        return row.attachment.file_name if row.attachment_id else "-"


@admin.register(InteractionTemplate)
class InteractionTemplateAdmin(admin.ModelAdmin):
    form = InteractionTemplateForm
    list_display = [
        "code",
        "description",
        "group",
        "information_flow",
        "initiated_by",
        "unit_cost",
        "unit_duration",
        "wizard_action",
        "language_default",
    ]
    list_filter = ["group", "information_flow", "initiated_by", "wizard_action", "correspondence_type", "campaign"]
    search_fields = ["code", "description", "group__code", "group__description"]
    list_select_related = ["group"]
    autocomplete_fields = ["campaign"]
    readonly_fields = ["totals", "setup_events"]
    inlines = [InteractionTemplateLanguageInline]
    fieldsets = [
        (None, {"fields": ["code", "group", "description"]}),
        (_("Cost and duration"), {"fields": ["unit_cost", "unit_duration"]}),
        (_("Direction"), {"fields": ["information_flow", "initiated_by"]}),
        (_("Campaign"), {"fields": ["campaign", "campaign_target", "campaign_response"]}),
        (
            _("Correspondence and content"),
            {
                "fields": [
                    "correspondence_type",
                    "ignore_contact_correspondence_type",
                    "language_default",
                    "wizard_action",
                ]
            },
        ),
        (_("Use"), {"fields": ["totals", "setup_events"]}),
    ]

    def save_model(self, request, obj, form, change):
        # Saved with its language rows, in save_related: the service saves both at once,
        # so that the rule "the default language has a row" sees the rows being saved.
        pass

    def save_related(self, request, form, formsets, change):
        # The inline is left out for a user who may not see the language rows.
        languages = next((f for f in formsets if isinstance(f, BaseInteractionTemplateLanguageFormSet)), None)
        changes = languages.language_changes() if languages is not None else []
        setup_services.save_template(template=form.instance, values=form.values(), languages=changes, user=request.user)
        if languages is not None:
            _record_saved_rows(languages)

    @admin.display(description=_("Totals"))
    def totals(self, template):
        if not template.pk:
            return "-"
        return _totals_html(selectors.template_totals(template))

    @admin.display(description=_("Records automatic events"))
    def setup_events(self, template):
        if not template.pk:
            return "-"
        fields = InteractionTemplateSetup._meta
        events = InteractionTemplateSetup.events_using(template.pk)
        return ", ".join(str(fields.get_field(event).verbose_name) for event in events) or "-"


@admin.register(InteractionTemplateSetup)
class InteractionTemplateSetupAdmin(admin.ModelAdmin):
    """A single page, grouped General / Sales / Purchases / Service."""

    form = InteractionTemplateSetupForm
    fieldsets = [(section, {"fields": [name for name, _caption in events]}) for section, events in SETUP_SECTIONS]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        setup = InteractionTemplateSetup.load()
        return HttpResponseRedirect(reverse("admin:interactions_interactiontemplatesetup_change", args=[setup.pk]))

    def save_model(self, request, obj, form, change):
        setup_services.save_template_setup(templates_by_event=form.templates_by_event(), user=request.user)

    def response_change(self, request, obj):
        self.message_user(request, _("The interaction template setup has been saved."), messages.SUCCESS)
        return HttpResponseRedirect(request.path)


class CommentInline(admin.TabularInline):
    model = InteractionComment
    fields = ["date", "text", "author", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CappedCountPaginator(Paginator):
    """Counts at most CAP rows: the changelist's pages reach the first CAP entries of any
    filter or search (narrow it for older ones) without counting millions of rows."""

    CAP = 10_000

    @cached_property
    def count(self):
        return self.object_list.order_by()[: self.CAP].count()


class LogChangeList(ChangeList):
    """A search's page, read in the way that suits how many entries match: a rare word's few
    matches by their entry numbers (`selectors.log.pinned_matches`), rather than the date
    index walked until a page is full or the contacts hashed for a guessed 45,000 rows."""

    def get_queryset(self, request, exclude_parameters=None):
        entries = super().get_queryset(request, exclude_parameters)
        if _search_text(self.query):
            return selectors_log.pinned_matches(entries)
        return entries


def _search_text(term: str) -> str:
    """The admin search's text, or "" when there is none to search (blank, or a NUL byte,
    which PostgreSQL refuses)."""
    text = term.strip()
    return "" if "\x00" in text else text


class LogEntryAdminBase(ReadOnlyAdmin):
    """The log for administrators: every filter, the order and the search served by the
    log's indexes (models/log.py, migration 0014), no count of the whole table, no date
    hierarchy (two queries over the whole table per page). The log page stays the users'."""

    list_display = [
        "entry_no",
        "date",
        "contact",
        "description",
        "template",
        "salesperson",
        "information_flow",
        "evaluation",
        "canceled",
    ]
    list_filter = ["canceled", "information_flow", "evaluation", "group", "template", "salesperson"]
    list_select_related = ["contact", "template", "salesperson"]
    list_per_page = 50
    paginator = CappedCountPaginator
    show_full_result_count = False
    inlines = [CommentInline]
    # search_fields only turns the search box on; get_search_results does the searching.
    search_fields = ["description"]
    search_help_text = _(
        "Words of the description, subject or comments, a part of a document number, an entry number or a "
        "contact number."
    )

    def get_changelist(self, request, **kwargs):
        return LogChangeList

    def get_search_results(self, request, queryset, search_term):
        """The log page's search (selectors/log.py: full text and document numbers, on their
        indexes), or an entry number, or a contact's number: each an index of the log, where
        the admin's own search would compare substrings over the whole table and its joins."""
        text = _search_text(search_term)
        if not text:
            return queryset, False
        found = selectors_log.search_condition(text)
        if text.isdigit() and len(text) <= 18:
            found |= Q(pk=int(text))
        contact = contact_by_number(text)
        if contact is not None:
            found |= Q(contact_id=contact.pk)
        return queryset.filter(found), False


@admin.register(InteractionLogEntry)
class InteractionLogEntryAdmin(LogEntryAdminBase):
    def get_queryset(self, request):
        return super().get_queryset(request).filter(postponed=False)


@admin.register(PostponedInteraction)
class PostponedInteractionAdmin(LogEntryAdminBase):
    """Interactions saved for later, not yet in the log (a few per user), newest first."""

    list_display = ["entry_no", "created_at", "user", "contact", "description", "template", "salesperson"]
    list_filter = ["template", "salesperson"]
    list_select_related = ["contact", "template", "salesperson", "user"]
    ordering = ["-created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(postponed=True)


@admin.register(LoggedSegment)
class LoggedSegmentAdmin(ReadOnlyAdmin):
    list_display = ["id", "segment_number", "description", "created_at", "user", "canceled"]
    list_filter = ["canceled"]
    search_fields = ["segment_number", "description"]
    list_select_related = ["user"]


class SegmentLineInline(admin.TabularInline):
    model = SegmentLine
    fields = ["contact", "template", "language", "correspondence_type", "subject", "cost", "duration"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Segment)
class SegmentAdmin(ReadOnlyAdmin):
    list_display = ["number", "description", "date", "salesperson", "template"]
    search_fields = ["number", "description"]
    list_select_related = ["salesperson", "template"]
    inlines = [SegmentLineInline]


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ["id", "file_link", "content_type", "size", "created_at"]
    search_fields = ["file_name"]

    @admin.display(description=_("file"))
    def file_link(self, attachment):
        return attachment.file_name


class SavedSegmentCriteriaStepInline(admin.TabularInline):
    model = SavedSegmentCriteriaStep
    fields = ["step", "action", "criteria", "options"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SavedSegmentCriteria)
class SavedSegmentCriteriaAdmin(admin.ModelAdmin):
    """Saved criteria are created from a segment's page; here they are reviewed and removed."""

    list_display = ["code", "description", "created_by", "created_at"]
    search_fields = ["code", "description"]
    inlines = [SavedSegmentCriteriaStepInline]

    def has_add_permission(self, request):
        return False


# --- Webhooks: saved through the webhook service; the secret is shown once, in a message --


def _show_secret(request, subscription: WebhookSubscription, secret: str) -> None:
    messages.warning(
        request,
        _("The signing secret of “%(description)s”: %(secret)s. Copy it now: it is not shown again.")
        % {"description": subscription.description, "secret": secret},
    )


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionAdminForm
    list_display = ["description", "url", "active", "consecutive_failures", "disabled_at"]
    list_filter = ["active"]
    search_fields = ["description", "url"]
    readonly_fields = ["consecutive_failures", "disabled_at", "created_by", "created_at", "secret_rotated_at"]
    actions = ["send_test_event", "rotate_secret"]

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data[name] for name in ("description", "url", "events")}
        if change:
            webhook_services.update_subscription(
                subscription=WebhookSubscription.objects.get(pk=obj.pk),
                active=form.cleaned_data["active"],
                user=request.user,
                **values,
            )
            return
        created = webhook_services.subscribe(user=request.user, **values)
        if not form.cleaned_data["active"]:
            webhook_services.disable_subscription(subscription=created, user=request.user)
        obj.pk = created.pk
        obj._state.adding = False
        _show_secret(request, created, created.secret)

    @admin.action(description=_("Send a test event"))
    def send_test_event(self, request, queryset):
        for subscription in queryset:
            webhook_services.send_test_event(subscription=subscription, user=request.user)
        self.message_user(request, _("Test events sent; the delivery log shows their outcome."), messages.SUCCESS)

    @admin.action(description=_("Rotate the secret"))
    def rotate_secret(self, request, queryset):
        for subscription in queryset:
            _show_secret(
                request, subscription, webhook_services.rotate_secret(subscription=subscription, user=request.user)
            )


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(ReadOnlyAdmin):
    list_display = ["attempted_at", "subscription", "event", "payload_id", "number", "succeeded", "response_code",
                    "duration_ms", "error"]  # fmt: skip
    list_filter = ["succeeded", "event", "subscription"]
    search_fields = ["payload_id"]
    list_select_related = ["subscription"]


# --- E-mail capture ----------------------------------------------------------------------------
# The same forms and services as the pages under /interactions/mailboxes/. No password field:
# a mailbox names the environment variable or secrets file the worker reads it from.


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    list_display = ["name", "host", "port", "username", "folder", "kind", "salesperson", "private", "active"]
    list_filter = ["active", "kind", "private"]
    search_fields = ["name", "host", "username"]
    readonly_fields = ["consecutive_failures", "last_error"]
    actions = ["run_now"]

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data[name] for name in MailboxForm.Meta.fields}
        mail_capture_services.save_mailbox(mailbox=obj, values=values, user=request.user)

    @admin.action(description=_("Read the selected mailboxes now"), permissions=["run"])
    def run_now(self, request, queryset):
        for mailbox in queryset:
            try:
                mail_capture_services.run_now(mailbox=mailbox, user=request.user)
            except (mail_capture_services.QueueUnavailable, ValidationError) as problem:
                self.message_user(request, f"{mailbox.name}: {problem}", messages.ERROR)
            else:
                self.message_user(request, _("Mailbox %(name)s is being read.") % {"name": mailbox.name})

    def has_run_permission(self, request):
        return request.user.has_perm(RUN_MAILBOX)


@admin.register(MailCaptureSettings)
class MailCaptureSettingsAdmin(admin.ModelAdmin):
    form = CaptureSettingsForm

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        row = MailCaptureSettings.load()
        return HttpResponseRedirect(reverse("admin:interactions_mailcapturesettings_change", args=[row.pk]))

    def save_model(self, request, obj, form, change):
        mail_capture_services.save_capture_settings(values=form.cleaned_data, user=request.user)


@admin.register(MailboxRun)
class MailboxRunAdmin(ReadOnlyAdmin):
    list_display = ["mailbox", "started_at", "finished_at", "state", "read", "logged", "bounces", "error"]
    list_filter = ["state", "mailbox"]


@admin.register(SkippedMessage)
class SkippedMessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "mailbox", "reason", "sender", "subject", "logged_entry"]
    list_filter = ["reason", "mailbox"]
    search_fields = ["subject", "sender", "message_key"]
    exclude = ["raw"]


@admin.register(CapturedEmail)
class CapturedEmailAdmin(ReadOnlyAdmin):
    list_display = ["message_key", "contact", "entry", "mailbox", "kind", "private", "replies_to"]
    list_filter = ["kind", "private"]
    search_fields = ["message_key"]
    raw_id_fields = ["entry", "contact", "replies_to"]

"""What the API reads and writes, translated from and to the module's models. Related rows
are shown by their codes (contact and campaign by number), as people know them."""

from django.urls import NoReverseMatch, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.contacts.models import Contact, CorrespondenceType, Language
from crm.documents.models import Document

from ..models import (
    Evaluation,
    InformationFlow,
    InitiatedBy,
    InteractionComment,
    InteractionGroup,
    InteractionLogEntry,
    InteractionTemplate,
    InteractionTemplateLanguage,
    LoggedSegment,
    Segment,
    SegmentLine,
)


def _blank(choices) -> list:
    """The values of a choice set without its blank one (the fields allow blank besides)."""
    return [(value, label) for value, label in choices if value != ""]


class CodeField(serializers.CharField):
    """A related row shown by one of its fields (a code, a number)."""

    def __init__(self, attribute: str, **kwargs):
        self.attribute = attribute
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        related = getattr(instance, self.source_attrs[0], None) if self.source_attrs else None
        return getattr(related, self.attribute) if related is not None else None

    def to_representation(self, value):
        return value


@extend_schema_field(
    {"type": "string", "pattern": r"^[0-2][0-9]:[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?$", "examples": ["14:30:00"]}
)
class LocalTimeField(serializers.TimeField):
    """A time of day in the local time zone, "HH:MM[:SS]" (OpenAPI's "time" format would
    want a UTC offset, which a local time of an interaction does not have)."""


class ContactSerializer(serializers.ModelSerializer):
    company = CodeField("number", help_text="The company's contact number (persons).")
    salesperson = CodeField("code")

    class Meta:
        model = Contact
        fields = [
            "number", "type", "name", "company", "job_title", "address", "address_2", "post_code", "city", "country",
            "phone", "mobile", "fax", "email", "language", "salesperson", "correspondence_type",
            "exclude_from_segments",
        ]  # fmt: skip


class AttachmentLinkSerializer(serializers.Serializer):
    file_name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, attachment) -> str:
        path = reverse("interactions:attachment-download", args=[attachment.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = InteractionComment
        fields = ["id", "date", "text", "author", "created_at"]

    def get_author(self, comment) -> str | None:
        return comment.author.get_username() if comment.author_id else None


class LogEntrySerializer(serializers.ModelSerializer):
    """A log entry as the log's rows show it."""

    contact = CodeField("number")
    contact_name = serializers.SerializerMethodField()
    contact_company = CodeField("number")
    template = CodeField("code")
    group = CodeField("code")
    salesperson = CodeField("code")
    campaign = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(help_text="The entry in this API.")
    time = LocalTimeField(allow_null=True, required=False)

    class Meta:
        model = InteractionLogEntry
        fields = [
            "entry_no", "date", "time", "contact", "contact_name", "contact_company", "description", "subject",
            "template", "group", "salesperson", "campaign", "information_flow", "initiated_by", "evaluation", "cost",
            "duration", "attempt_failed", "canceled", "postponed", "correspondence_type", "contact_via", "language",
            "document_type", "document_number", "segment_number", "logged_segment", "delivery_status",
            "opportunity_number", "url",
        ]  # fmt: skip

    def get_contact_name(self, entry) -> str:
        return entry.contact.name

    def get_campaign(self, entry) -> str | None:
        # The log's rows do not join the campaign: its number is read only when set.
        return entry.campaign.number if entry.campaign_id else None

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, entry) -> str:
        path = reverse("interactions-api:log-entry-detail", args=[entry.entry_no])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class LogEntryListSerializer(LogEntrySerializer):
    has_comments = serializers.BooleanField(read_only=True)

    class Meta(LogEntrySerializer.Meta):
        fields = [*LogEntrySerializer.Meta.fields, "has_comments"]

    def get_campaign(self, entry) -> str | None:
        return self.context.get("campaign_numbers", {}).get(entry.campaign_id)


class LogEntryDetailSerializer(LogEntrySerializer):
    """An entry with its comments, attachment and the document it is about."""

    comments = CommentSerializer(many=True, read_only=True)
    attachment = serializers.SerializerMethodField()
    canceled_changed_by = serializers.SerializerMethodField()
    document_url = serializers.SerializerMethodField(help_text="The page of the document the entry is about.")

    class Meta(LogEntrySerializer.Meta):
        fields = [
            *LogEntrySerializer.Meta.fields, "cost", "campaign_target", "campaign_response", "delivery_error",
            "canceled_changed_by", "canceled_changed_at", "created_at", "attachment", "comments", "document_url",
        ]  # fmt: skip

    @extend_schema_field(AttachmentLinkSerializer(allow_null=True))
    def get_attachment(self, entry):
        if entry.attachment_id is None:
            return None
        return AttachmentLinkSerializer(entry.attachment, context=self.context).data

    def get_canceled_changed_by(self, entry) -> str | None:
        return entry.canceled_changed_by.get_username() if entry.canceled_changed_by_id else None

    def get_document_url(self, entry) -> str | None:
        if not entry.document_number:
            return None
        try:
            path = reverse("documents:show")
        except NoReverseMatch:
            return None
        from urllib.parse import urlencode

        query = urlencode(
            {
                "type": entry.document_type,
                "number": entry.document_number,
                "occurrence": entry.document_occurrence,
                "version": entry.document_version,
            }
        )
        request = self.context.get("request")
        url = f"{path}?{query}"
        return request.build_absolute_uri(url) if request is not None else url


# A plain serializer of a few fields, not the detail's model serializer: an answer is made
# for every create, and a system that records thousands of interactions needs this much of
# it (bench/README.md, the API's create). Its docstring is the schema's description.
class LogEntryCreatedSerializer(serializers.Serializer):
    """A log entry just recorded: its number and address, and what the recording decided
    for the fields the body left out (the template's, the contact's and the user's
    defaults). The whole entry, with its comments and attachment, is at `url`."""

    entry_no = serializers.IntegerField(read_only=True)
    url = serializers.SerializerMethodField(help_text="The whole entry in this API.")
    date = serializers.DateField(read_only=True)
    time = LocalTimeField(read_only=True, allow_null=True)
    contact = CodeField("number", help_text="The contact's number.")
    template = CodeField("code", help_text="The interaction template's code.")
    salesperson = CodeField("code", help_text="The salesperson's code.")
    campaign = CodeField("number", help_text="The campaign's number.")
    description = serializers.CharField(read_only=True)
    subject = serializers.CharField(read_only=True)
    language = serializers.ChoiceField(choices=_blank(Language.choices), allow_blank=True, read_only=True)
    correspondence_type = serializers.ChoiceField(
        choices=_blank(CorrespondenceType.choices), allow_blank=True, read_only=True
    )
    contact_via = serializers.CharField(read_only=True)
    information_flow = serializers.ChoiceField(
        choices=_blank(InformationFlow.choices), allow_blank=True, read_only=True
    )
    initiated_by = serializers.ChoiceField(choices=_blank(InitiatedBy.choices), allow_blank=True, read_only=True)
    evaluation = serializers.ChoiceField(choices=_blank(Evaluation.choices), allow_blank=True, read_only=True)
    attempt_failed = serializers.BooleanField(read_only=True)
    cost = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    duration = serializers.IntegerField(read_only=True)
    postponed = serializers.BooleanField(read_only=True)

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, entry) -> str:
        path = reverse("interactions-api:log-entry-detail", args=[entry.entry_no])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def to_representation(self, entry):
        # By hand, from the fields declared above (they stay the schema, and a test holds
        # the two together): DRF would deep-copy and bind every declared field for each
        # answer, which costs more than the rest of the answer.
        def code(related, attribute):
            return getattr(related, attribute) if related is not None else None

        return {
            "entry_no": entry.entry_no,
            "url": self.get_url(entry),
            "date": _DATE.to_representation(entry.date),
            "time": _TIME.to_representation(entry.time) if entry.time is not None else None,
            "contact": code(entry.contact, "number"),
            "template": code(entry.template, "code"),
            "salesperson": code(entry.salesperson, "code"),
            "campaign": code(entry.campaign, "number"),
            "description": entry.description,
            "subject": entry.subject,
            "language": entry.language,
            "correspondence_type": entry.correspondence_type,
            "contact_via": entry.contact_via,
            "information_flow": entry.information_flow,
            "initiated_by": entry.initiated_by,
            "evaluation": entry.evaluation,
            "attempt_failed": entry.attempt_failed,
            "cost": _COST.to_representation(entry.cost),
            "duration": entry.duration,
            "postponed": entry.postponed,
        }


# Formats of the hand-made representation above, as its declared fields format them.
_DATE = serializers.DateField()
_TIME = LocalTimeField()
_COST = serializers.DecimalField(max_digits=12, decimal_places=2)


class InteractionInputSerializer(serializers.Serializer):
    """A new interaction (or a postponed one resumed), as the "new interaction" page takes
    it. Fields left out take their defaults as on the page: from the template (description,
    cost, duration, flow, initiated by, campaign, language by the contact's language,
    correspondence type by the template's and the contact's), the contact (contact via), the
    user (salesperson), now (date, time)."""

    contact = serializers.CharField(max_length=20, help_text="The contact's number.")
    template = serializers.CharField(max_length=10, help_text="The interaction template's code.")
    salesperson = serializers.CharField(max_length=20, required=False, help_text="The salesperson's code.")
    date = serializers.DateField(required=False)
    time = LocalTimeField(required=False, allow_null=True)
    description = serializers.CharField(max_length=100, required=False)
    subject = serializers.CharField(max_length=100, required=False, allow_blank=True)
    language = serializers.ChoiceField(choices=_blank(Language.choices), required=False, allow_blank=True)
    correspondence_type = serializers.ChoiceField(
        choices=_blank(CorrespondenceType.choices), required=False, allow_blank=True
    )
    contact_via = serializers.CharField(max_length=80, required=False, allow_blank=True)
    information_flow = serializers.ChoiceField(
        choices=_blank(InformationFlow.choices), required=False, allow_blank=True
    )
    initiated_by = serializers.ChoiceField(choices=_blank(InitiatedBy.choices), required=False, allow_blank=True)
    evaluation = serializers.ChoiceField(choices=_blank(Evaluation.choices), required=False, allow_blank=True)
    attempt_failed = serializers.BooleanField(required=False, default=False)
    cost = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False)
    duration = serializers.IntegerField(min_value=0, max_value=2_147_483_647, required=False)
    campaign = serializers.CharField(
        max_length=20, required=False, allow_blank=True, help_text="The campaign's number."
    )
    campaign_target = serializers.BooleanField(required=False)
    campaign_response = serializers.BooleanField(required=False)
    opportunity_number = serializers.CharField(max_length=20, required=False, allow_blank=True)
    segment_number = serializers.CharField(max_length=20, required=False, allow_blank=True)
    merged_text = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=100_000,
        help_text="Merge templates: the text stored with the interaction; left out, the template's text merged.",
    )  # fmt: skip
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True, help_text="A first comment.")
    upload = serializers.FileField(required=False, help_text="Import templates: the file to attach (multipart).")

    # Fields made afresh for each body, as DRF makes them, but from their arguments as
    # declared rather than deep copies of them (choice lists, lazy texts: never changed):
    # a third of the cost of reading a body, for each interaction recorded.
    def get_fields(self):
        return {name: type(field)(*field._args, **field._kwargs) for name, field in self._declared_fields.items()}


class ResumeInputSerializer(InteractionInputSerializer):
    """A postponed interaction completed: what is left out keeps what was saved."""

    contact = serializers.CharField(max_length=20, required=False, help_text="The contact's number.")
    template = serializers.CharField(max_length=10, required=False, help_text="The interaction template's code.")


class CancelResultSerializer(serializers.Serializer):
    changed = serializers.ListField(child=serializers.IntegerField())
    refused = serializers.ListField(child=serializers.IntegerField(), help_text="Entries of a canceled logged segment.")
    postponed = serializers.ListField(child=serializers.IntegerField())


class EvaluateSerializer(serializers.Serializer):
    evaluation = serializers.ChoiceField(choices=_blank(Evaluation.choices), allow_blank=True)


class CommentInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=500)
    date = serializers.DateField(required=False)


class GroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = InteractionGroup
        fields = ["id", "code", "description"]


class TemplateLanguageSerializer(serializers.ModelSerializer):
    attachment = serializers.SerializerMethodField()

    class Meta:
        model = InteractionTemplateLanguage
        fields = ["language", "description", "attachment"]

    @extend_schema_field(AttachmentLinkSerializer(allow_null=True))
    def get_attachment(self, row):
        return AttachmentLinkSerializer(row.attachment, context=self.context).data if row.attachment_id else None


class TemplateSerializer(serializers.ModelSerializer):
    group = CodeField("code")
    campaign = CodeField("number")
    languages = TemplateLanguageSerializer(many=True, read_only=True)

    class Meta:
        model = InteractionTemplate
        fields = [
            "id", "code", "description", "group", "unit_cost", "unit_duration", "information_flow", "initiated_by",
            "campaign", "campaign_target", "campaign_response", "correspondence_type",
            "ignore_contact_correspondence_type", "language_default", "wizard_action", "languages",
        ]  # fmt: skip


class SetupEventSerializer(serializers.Serializer):
    event = serializers.CharField(help_text="The setup field.")
    caption = serializers.CharField()
    template = serializers.CharField(allow_null=True, help_text="The code of the template that records it.")


class SetupSectionSerializer(serializers.Serializer):
    title = serializers.CharField()
    events = SetupEventSerializer(many=True)


class StatisticsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    cost = serializers.DecimalField(max_digits=14, decimal_places=2)
    duration = serializers.IntegerField()
    last_interaction_date = serializers.DateField(allow_null=True)
    last_attempted_date = serializers.DateField(allow_null=True)


class SegmentSerializer(serializers.ModelSerializer):
    salesperson = CodeField("code")
    template = CodeField("code")
    campaign = CodeField("number")
    line_count = serializers.IntegerField(read_only=True)
    is_logged = serializers.BooleanField(read_only=True)

    class Meta:
        model = Segment
        fields = [
            "number", "description", "salesperson", "date", "template", "language_default", "subject_default",
            "correspondence_type_default", "unit_cost", "unit_duration", "information_flow", "initiated_by",
            "campaign", "campaign_target", "campaign_response", "line_count", "is_logged",
        ]  # fmt: skip


class SegmentLineSerializer(serializers.ModelSerializer):
    contact = CodeField("number")
    contact_name = serializers.SerializerMethodField()
    contact_company = CodeField("number")
    template = CodeField("code")
    campaign = CodeField("number")

    class Meta:
        model = SegmentLine
        fields = [
            "id", "contact", "contact_name", "contact_company", "correspondence_type", "template", "language",
            "subject", "description", "evaluation", "cost", "duration", "information_flow", "initiated_by",
            "campaign", "campaign_target", "campaign_response", "contact_via",
        ]  # fmt: skip

    def get_contact_name(self, line) -> str:
        return line.contact.name


class StepResultSerializer(serializers.Serializer):
    added = serializers.IntegerField(required=False)
    removed = serializers.IntegerField(required=False)
    line_count = serializers.IntegerField()


class LogSegmentResultSerializer(serializers.Serializer):
    logged_segment = serializers.IntegerField()
    entries = serializers.IntegerField()
    follow_up_segment = serializers.CharField(allow_null=True)


class LoggedSegmentSerializer(serializers.ModelSerializer):
    user = serializers.SerializerMethodField()
    entry_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = LoggedSegment
        fields = ["id", "segment_number", "description", "created_at", "user", "canceled", "entry_count"]

    def get_user(self, logged) -> str | None:
        return logged.user.get_username() if logged.user_id else None


class DocumentSerializer(serializers.ModelSerializer):
    customer = CodeField("number")
    vendor = CodeField("number")
    contact = CodeField("number")
    salesperson = CodeField("code")

    class Meta:
        model = Document
        fields = [
            "id", "kind", "number", "occurrence", "date", "customer", "vendor", "contact", "salesperson",
            "description", "currency_code", "amount", "vat_amount", "amount_including_vat", "no_printed",
            "no_of_archived_versions",
        ]  # fmt: skip


class PrintSerializer(serializers.Serializer):
    language = serializers.ChoiceField(choices=["en", "ru"], default="en")
    log_interaction = serializers.BooleanField(default=True)


class PrintResultSerializer(serializers.Serializer):
    printed = serializers.BooleanField()
    version_no = serializers.IntegerField()
    version_archived = serializers.BooleanField()
    entry = LogEntryDetailSerializer(allow_null=True)
    not_logged_reason = serializers.CharField(allow_blank=True)


class PurgeCountSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Canceled entries that the filter would delete.")


class PurgeStartedSerializer(serializers.Serializer):
    task_id = serializers.CharField()
    deleted = serializers.IntegerField(allow_null=True, help_text="Ran in-process (no broker): what it deleted.")
    progress_url = serializers.URLField()


class PurgeProgressSerializer(serializers.Serializer):
    state = serializers.CharField()
    deleted = serializers.IntegerField()
    total = serializers.IntegerField()
    finished = serializers.BooleanField()
    percent = serializers.IntegerField()
    error = serializers.CharField(allow_blank=True)

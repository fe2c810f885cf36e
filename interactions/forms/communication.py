"""Forms of the pages that send an e-mail, record a phone call and invite to a meeting.
They translate what was entered; the rules are the services' (services.emails, .calls,
.meetings)."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.contacts.models import Contact

from ..models import Evaluation, InteractionLogEntry, InteractionTemplate
from ..services.communication.calls import record_phone_call
from ..services.communication.emails import OutgoingFile
from ..services.communication.meetings import MAX_DURATION_MINUTES, possible_attendees

SEND = "send"
FILL_FROM_TEMPLATE = "fill_from_template"
SAVE_DRAFT = "save_draft"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class MergeTemplateChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, template):
        return f"{template.code} {template.description}"


class EmailForm(forms.Form):
    address = forms.EmailField(
        label=pgettext_lazy("e-mail recipient", "To"),
        max_length=254,
        help_text=_("The contact's e-mail address; change it to write to another of the contact's addresses."),
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    template = MergeTemplateChoiceField(
        label=_("Text from template"),
        queryset=InteractionTemplate.objects.none(),
        required=False,
        help_text=_(
            "A template with a merge text: “Fill in the text” writes it into the text, in the contact's language."
        ),
    )
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 10}), required=False)
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    attach_entry_attachment = forms.BooleanField(label=_("Attach the interaction's attachment"), required=False)
    # A reopened draft: which of the files it keeps go along (by their position in it).
    draft_files = forms.TypedMultipleChoiceField(
        label=_("Files of the draft"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text=_("Clear a file to leave it out."),
    )

    def __init__(
        self,
        *args,
        reply_to_entry: InteractionLogEntry | None = None,
        draft_files: tuple[OutgoingFile, ...] | None = None,
        saving_draft: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.reply_to_entry = reply_to_entry
        self.kept_draft_files = draft_files or ()
        if draft_files:
            self.fields["draft_files"].choices = [(index, file.name) for index, file in enumerate(draft_files)]
        else:
            del self.fields["draft_files"]
        if saving_draft:
            # A draft may be unfinished: the service refuses only an empty draft or an
            # address that is no address.
            self.fields["address"].required = False
            self.fields["subject"].required = False
        self.fields["template"].queryset = (
            InteractionTemplate.objects.filter(languages__merge_body__gt="")
            .distinct()
            .select_related("group")
            .prefetch_related("languages")
            .order_by("code")
        )
        if reply_to_entry is not None and reply_to_entry.attachment_id:
            self.fields["attach_entry_attachment"].label = _("Attach %(name)s (the interaction's attachment)") % {
                "name": reply_to_entry.attachment.file_name
            }
        else:
            del self.fields["attach_entry_attachment"]

    def clean_attachments(self):
        files = []
        for upload in self.cleaned_data["attachments"]:
            try:
                files.append(OutgoingFile.from_upload(upload))
            except ValidationError as refused:
                raise ValidationError([f"{upload.name}: {message}" for message in refused.messages]) from None
        return files

    def chosen_draft_files(self) -> list[OutgoingFile]:
        chosen = set(self.cleaned_data.get("draft_files") or ())
        return [file for index, file in enumerate(self.kept_draft_files) if index in chosen]

    def entry_to_attach(self) -> InteractionLogEntry | None:
        if self.cleaned_data.get("attach_entry_attachment"):
            return self.reply_to_entry
        return None

    def add_service_error(self, refused: ValidationError) -> None:
        if hasattr(refused, "error_dict"):
            for field, errors in refused.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, refused)


class ResendForm(forms.Form):
    """Where to resend an entry's attachment; subject and text only for a file (an e-mail
    kept as it was sent goes again as it was)."""

    address = forms.EmailField(
        label=pgettext_lazy("e-mail recipient", "To"),
        max_length=254,
        help_text=_("The contact's e-mail address; change it to send to another address."),
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 5}), required=False)

    def __init__(self, *args, keeps_an_email: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if keeps_an_email:
            del self.fields["subject"], self.fields["body"]

    add_service_error = EmailForm.add_service_error


class CallForm(forms.Form):
    phone_number = forms.CharField(label=_("Number called"), max_length=80)
    duration = forms.IntegerField(label=_("Duration (min.)"), min_value=0, max_value=24 * 60)
    successful = forms.BooleanField(
        label=_("Was successful"), required=False, initial=True,
        help_text=_("Clear it when nobody answered: the attempt is recorded as failed."),
    )  # fmt: skip
    subject = forms.CharField(label=_("Subject"), max_length=100, required=False)
    description = forms.CharField(
        label=_("Description"), max_length=100, required=False,
        help_text=_("Left empty: the template's description."),
    )  # fmt: skip
    evaluation = forms.ChoiceField(label=_("Evaluation"), choices=Evaluation.choices, required=False)

    add_service_error = EmailForm.add_service_error

    def record(self, *, contact: Contact, user, segment_number: str = ""):
        """Record the valid form's call (the call page and the contact card's composer);
        the service's refusal comes back as ValidationError."""
        data = self.cleaned_data
        return record_phone_call(
            contact=contact,
            phone_number=data["phone_number"],
            duration=data["duration"],
            successful=data["successful"],
            description=data["description"],
            evaluation=data["evaluation"],
            subject=data["subject"],
            segment_number=segment_number,
            user=user,
        )


class AttendeeChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        # An id beyond the database's integers makes the IN query fail instead of matching
        # nothing: refuse it as the unknown choice it is.
        for pk in value:
            try:
                number = int(str(pk))
            except ValueError:
                continue  # refused as "not a valid value" by the field itself
            if not 0 < number <= 2**62:
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": pk}
                )
        return super()._check_values(value)

    def label_from_instance(self, contact):
        if contact.email:
            return f"{contact.name} <{contact.email}>"
        return _("%(name)s (no e-mail address)") % {"name": contact.name}


class MeetingForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=100)
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    time = forms.TimeField(label=_("Time"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    duration = forms.IntegerField(label=_("Duration (min.)"), min_value=1, max_value=MAX_DURATION_MINUTES, initial=60)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    attendees = AttendeeChoiceField(
        label=_("Attendees"), queryset=Contact.objects.none(),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text=_("Persons of the contact's company; each receives the invitation with a calendar file (.ics)."),
    )  # fmt: skip
    message = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 5}), required=False)

    add_service_error = EmailForm.add_service_error

    def __init__(self, *args, contact: Contact, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = possible_attendees(contact)

    def clean(self):
        data = super().clean()
        if data.get("date") and data.get("time"):
            start = timezone.make_aware(datetime.datetime.combine(data["date"], data["time"]))
            if start < timezone.now():
                self.add_error("date", _("The meeting cannot start in the past."))
            data["start"] = start
        return data

"""Forms of the e-mail capture pages: a mailbox, the capture settings, and the contact a
skipped message is logged for. They translate input; the services decide
(services/mail_capture/mailboxes.py)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.contacts.models import Contact

from ..models import Mailbox, MailCaptureSettings
from ..services.mail_capture.mailboxes import MAILBOX_FIELDS, SETTINGS_FIELDS


class MailboxForm(forms.ModelForm):
    """No password field: the mailbox names where the worker reads it (never shown back)."""

    class Meta:
        model = Mailbox
        fields = list(MAILBOX_FIELDS)  # what the service saves (services/mail_capture/mailboxes.py)


class CaptureSettingsForm(forms.ModelForm):
    class Meta:
        model = MailCaptureSettings
        fields = list(SETTINGS_FIELDS)
        widgets = {
            "internal_domains": forms.Textarea(attrs={"rows": 3}),
            "never_log": forms.Textarea(attrs={"rows": 3}),
        }


class LogSkippedMessageForm(forms.Form):
    contact = forms.CharField(
        label=_("Contact No."), max_length=20, help_text=_("The number of the contact to log the message for.")
    )

    def clean_contact(self):
        number = Contact.normalize_number(self.cleaned_data["contact"])
        contact = Contact.objects.filter(number=number).first()
        if contact is None:
            raise forms.ValidationError(_("There is no contact %(number)s.") % {"number": number})
        return contact

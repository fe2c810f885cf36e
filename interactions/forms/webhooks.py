"""The form of the webhook page (/interactions/webhooks/): a subscription's address, events
and, when editing, its active flag. The service checks the values again."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import WebhookEvent, WebhookSubscription


class WebhookSubscriptionForm(forms.Form):
    description = forms.CharField(label=_("Description"), max_length=100)
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Where the events are posted (http:// or https://), e.g. https://shop.example.com/crm-hooks."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )
    active = forms.BooleanField(
        label=_("Active"),
        required=False,
        initial=True,
        help_text=_("A subscription disabled after too many failed deliveries is enabled again here."),
    )

    def __init__(self, *args, is_new: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if is_new:
            del self.fields["active"]


class WebhookSubscriptionAdminForm(forms.ModelForm):
    """The admin's form of a subscription (the secret is made by the service, never shown here)."""

    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookSubscription
        fields = ["description", "url", "events", "active"]

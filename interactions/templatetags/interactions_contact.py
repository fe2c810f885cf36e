"""Panels of the interactions module for the contact card: statistics, a chart per month,
the timeline, and the actions. The project's contact card template includes them."""

from django import forms, template
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..forms.contact_card import timeline_context
from ..models import DeliveryStatus, InformationFlow
from ..permissions import may_act_on_entry
from ..selectors import contact_card as card_selectors
from ..selectors import log as log_selectors
from ..selectors import statistics as selectors

register = template.Library()


class DateRangeForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"), required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}, format="%Y-%m-%d"),
    )  # fmt: skip
    date_to = forms.DateField(
        label=_("To"), required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control form-control-sm"}, format="%Y-%m-%d"),
    )  # fmt: skip

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("The start of the period is after its end."))
        return data


@register.inclusion_tag("interactions/contact_actions.html", takes_context=True)
def contact_interaction_actions(context, contact):
    log_filter = "contact_company" if contact.is_company else "contact"
    return {
        "perms": context.get("perms"),
        "contact": contact,
        "new_url": f"{reverse('interactions:new')}?contact={contact.number}" if _has_url("interactions:new") else "",
        "log_url": f"{reverse('interactions:log')}?{log_filter}={contact.number}",
    }


def _has_url(name: str) -> bool:
    from django.urls import NoReverseMatch

    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


@register.inclusion_tag("interactions/contact_panels.html", takes_context=True)
def contact_interactions(context, contact):
    request = context["request"]
    period = DateRangeForm(request.GET if ("date_from" in request.GET or "date_to" in request.GET) else None)
    dates = period.cleaned_data if period.is_bound and period.is_valid() else {}
    statistics = selectors.contact_statistics(contact, date_from=dates.get("date_from"), date_to=dates.get("date_to"))
    log_filter = "contact_company" if contact.is_company else "contact"
    return {
        "request": request,
        "perms": context.get("perms"),
        "contact": contact,
        "period": period,
        "statistics": statistics,
        **timeline_context(request, contact),
        "drafts": [
            (draft, may_act_on_entry(user=request.user, entry=draft))
            for draft in log_selectors.open_email_drafts(contact)[:20]
        ],
        "per_month": selectors.interactions_per_month(contact),
        "log_url": f"{reverse('interactions:log')}?{log_filter}={contact.number}",
        "composer_url": reverse("interactions:contact-composer", args=[contact.number, "note"]),
    }


@register.inclusion_tag("interactions/contact_card/persons.html", takes_context=True)
def company_persons(context, contact):
    """A company's persons, each with its latest interaction (one query)."""
    persons = card_selectors.persons_with_latest_interaction(contact) if contact.is_company else []
    return {"contact": contact, "persons": persons, "is_company": contact.is_company}


# The delivery of an e-mail as a user reads it: queued, sending, failed, or sent (delivered
# once the status is blank again: the delivery task clears it when the server took the
# e-mail). Only for entries that went out by e-mail.
_DELIVERY = {
    DeliveryStatus.IN_PROGRESS.value: ("queued", _("Queued"), "text-bg-info", "bi-hourglass-split"),
    DeliveryStatus.SENDING.value: ("sending", _("Sending"), "text-bg-info", "bi-send"),
    DeliveryStatus.ERROR.value: ("failed", _("Delivery failed"), "text-bg-danger", "bi-exclamation-triangle"),
}


@register.simple_tag
def delivery_state(entry) -> dict | None:
    status = entry.delivery_status
    if status in _DELIVERY:
        state, label, css, icon = _DELIVERY[status]
        return {"state": state, "label": label, "css": css, "icon": icon}
    delivered = getattr(DeliveryStatus, "DELIVERED", None)
    if (delivered is not None and status == delivered) or (
        not status
        and entry.correspondence_type == "email"
        and entry.information_flow == InformationFlow.OUTBOUND
        and entry.attachment_id
        and entry.contact_via
    ):
        return {"state": "delivered", "label": _("Delivered"), "css": "text-bg-success", "icon": "bi-check2-all"}
    return None


@register.simple_tag
def document_link(entry) -> dict:
    """The document an entry records (which one was printed): its type, number and version,
    linked to the document when the documents app is installed."""
    label = entry.get_document_type_display() if entry.document_type else _("Document")
    text = f"{label} {entry.document_number}"
    if entry.document_version:
        text += " " + str(_("v%(version)s") % {"version": entry.document_version})
    url = ""
    if _has_url("documents:show"):
        from urllib.parse import urlencode

        url = (
            reverse("documents:show")
            + "?"
            + urlencode(
                {
                    "type": entry.document_type,
                    "number": entry.document_number,
                    "occurrence": entry.document_occurrence,
                    "version": entry.document_version,
                }
            )
        )
    return {"label": text, "url": url}

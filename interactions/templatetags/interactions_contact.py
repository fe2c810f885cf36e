"""Panels of the interactions module for the contact card: statistics, a chart per month,
the timeline, and the actions. The project's contact card template includes them."""

from django import forms, template
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..selectors import mail_capture as mail_capture_selectors
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
        "contact": contact,
        "period": period,
        "statistics": statistics,
        # E-mail replies shown together with the message they answer.
        "timeline": mail_capture_selectors.thread_timeline(selectors.contact_timeline(contact), user=request.user),
        "per_month": selectors.interactions_per_month(contact),
        "log_url": f"{reverse('interactions:log')}?{log_filter}={contact.number}",
    }

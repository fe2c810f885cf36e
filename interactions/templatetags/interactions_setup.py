"""Template helpers of the setup pages: Bootstrap form controls and the merge body preview."""

import re

from django import forms, template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

register = template.Library()

# "{contact.name}", "{salesperson.email}": what the merge fills from the contact and the
# salesperson when an interaction is created from the template.
MERGE_PLACEHOLDER = re.compile(r"(\{[a-z_]+(?:\.[a-z_]+)+\})")


@register.filter
def as_bootstrap(field: forms.BoundField) -> SafeString:
    """Render a form field's widget with Bootstrap's class for its kind; Django adds
    aria-invalid and aria-describedby (help text) itself."""
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select):
        css = "form-select"
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
    return field.as_widget(attrs={"class": css})


@register.filter
def merge_preview(body: str) -> SafeString:
    """The merge body as the letter will read, with each placeholder marked where the
    contact's or salesperson's data will stand. The text is escaped: a body is user input."""
    parts = MERGE_PLACEHOLDER.split(body or "")
    # re.split with one group alternates text, placeholder, text, ...
    return format_html_join(
        "",
        "{}",
        (
            (format_html('<mark class="merge-field" title="{}">{}</mark>', _("Filled in when merged"), part),)
            if index % 2
            else (part,)
            for index, part in enumerate(parts)
        ),
    )

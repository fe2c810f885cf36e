from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .printing import LoggingAvailability


class PrintForm(forms.Form):
    """The print dialog. "Log interaction" is checked by default when logging is available
    for the document and disabled, with the reason, when it is not: a disabled field keeps
    its initial value (off) whatever is posted."""

    OUTPUT_HTML, OUTPUT_PDF = "html", "pdf"
    ACTION_PRINT, ACTION_PREVIEW = "print", "preview"

    log_interaction = forms.BooleanField(label=_("Log interaction"), required=False)
    language = forms.ChoiceField(label=_("Language of the document"), choices=settings.LANGUAGES)
    output = forms.ChoiceField(
        label=_("Output"),
        choices=[(OUTPUT_PDF, _("PDF file")), (OUTPUT_HTML, _("Print-ready page"))],
        initial=OUTPUT_PDF,
        widget=forms.RadioSelect,
    )
    # Set by the button pressed: "Print" or "Preview" (which never counts nor logs).
    action = forms.ChoiceField(choices=[(ACTION_PRINT, _("Print")), (ACTION_PREVIEW, _("Preview"))])

    def __init__(self, *args, availability: LoggingAvailability, **kwargs):
        super().__init__(*args, **kwargs)
        self.availability = availability
        log = self.fields["log_interaction"]
        log.initial = availability.available
        log.disabled = not availability.available
        log.help_text = availability.reason
        self.fields["language"].widget.attrs["class"] = "form-select"

    @property
    def preview(self) -> bool:
        return self.cleaned_data["action"] == self.ACTION_PREVIEW


class PrintoutForm(forms.Form):
    """The language of a printout opened by its address (after printing, or a preview)."""

    language = forms.ChoiceField(choices=settings.LANGUAGES, required=False)

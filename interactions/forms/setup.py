"""Forms of the interactions module. The template, template language and template setup
forms serve both the Django admin and the module's own pages: one definition, not two."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from crm.contacts.models import Language

from ..models import (
    InteractionGroup,
    InteractionTemplate,
    InteractionTemplateLanguage,
    InteractionTemplateSetup,
)
from ..models.setup import SETUP_EVENTS
from ..services.attachments import delete_unused_attachments, store_upload, validate_attachment_upload


def clean_code(value: str) -> str:
    """Codes of groups and templates are kept in capitals, as in the original, and appear in
    page addresses (/interactions/templates/<code>/), where a slash cannot stand."""
    value = value.strip().upper()
    if "/" in value:
        raise ValidationError(_("A code cannot contain a slash (/)."), code="code_with_slash")
    return value


class InteractionGroupForm(forms.ModelForm):
    class Meta:
        model = InteractionGroup
        fields = ["code", "description"]

    def clean_code(self):
        return clean_code(self.cleaned_data["code"])


class InteractionTemplateForm(forms.ModelForm):
    class Meta:
        model = InteractionTemplate
        fields = [
            "code",
            "group",
            "description",
            "unit_cost",
            "unit_duration",
            "information_flow",
            "initiated_by",
            "campaign",
            "campaign_target",
            "campaign_response",
            "correspondence_type",
            "ignore_contact_correspondence_type",
            "language_default",
            "wizard_action",
        ]

    def clean_code(self):
        return clean_code(self.cleaned_data["code"])


class InteractionTemplateLanguageForm(forms.ModelForm):
    upload = forms.FileField(
        label=_("Import attachment"),
        required=False,
        validators=[validate_attachment_upload],
        help_text=_("Replaces the current attachment."),
    )
    remove_attachment = forms.BooleanField(label=_("Remove attachment"), required=False)

    class Meta:
        model = InteractionTemplateLanguage
        fields = ["language", "description", "merge_body"]
        widgets = {"merge_body": forms.Textarea(attrs={"rows": 4})}

    def save(self, commit=True):
        row = super().save(commit=False)
        previous_attachment_id = row.attachment_id
        upload = self.cleaned_data.get("upload")
        if upload:
            row.attachment = store_upload(upload)
        elif self.cleaned_data.get("remove_attachment"):
            row.attachment = None
        if commit:
            row.save()
            if previous_attachment_id and previous_attachment_id != row.attachment_id:
                # A replaced or removed attachment goes once nothing uses it (the same rule as the purge's).
                delete_unused_attachments(attachment_ids={previous_attachment_id})
        return row


class BaseInteractionTemplateLanguageFormSet(forms.BaseInlineFormSet):
    """Keeps the template's rules that span its rows: the default language must have a row."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        languages = [
            form.cleaned_data["language"]
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("language")
        ]
        if len(languages) != len(set(languages)):
            raise ValidationError(_("Each language can have only one row."), code="duplicate_language")
        self.instance.check_default_language(languages)


InteractionTemplateLanguageFormSet = forms.inlineformset_factory(
    InteractionTemplate,
    InteractionTemplateLanguage,
    form=InteractionTemplateLanguageForm,
    formset=BaseInteractionTemplateLanguageFormSet,
    extra=1,
    can_delete=True,
    # One row per language: a post claiming more rows is refused with a message instead of
    # making Django build up to 2,000 forms.
    max_num=len(Language.choices),
    absolute_max=len(Language.choices),
)


class InteractionTemplateSetupForm(forms.ModelForm):
    """One select per automatic event; the model refuses templates with languages."""

    class Meta:
        model = InteractionTemplateSetup
        fields = SETUP_EVENTS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        templates = InteractionTemplate.objects.order_by("code")
        # Every select offers the same templates: read them once for the whole form, not
        # once per event (a ModelChoiceField runs its queryset each time it renders).
        choices = [("", _("(do not record)"))] + [(template.pk, str(template)) for template in templates]
        for name in SETUP_EVENTS:
            self.fields[name].queryset = templates
            self.fields[name].empty_label = _("(do not record)")
            self.fields[name].choices = choices

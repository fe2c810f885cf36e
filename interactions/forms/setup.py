"""Forms of the interactions module. The template, template language and template setup
forms serve both the Django admin and the module's own pages: one definition, not two.

They validate and nothing else: the pages and the admin pass what was cleaned to
interactions.services.setup, which writes."""

import dataclasses

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from crm.contacts.models import Language

from ..models import (
    InteractionGroup,
    InteractionTemplate,
    InteractionTemplateLanguage,
    InteractionTemplateSetup,
)
from ..models.setup import SETUP_EVENTS
from ..services.attachments import validate_attachment_upload
from ..services.setup import TemplateLanguageChange, TemplateValues, clean_code


class ValidatesOnly:
    """For the model forms and formsets of the setup: `save(commit=False)` still builds the
    unsaved instances (the Django admin asks for them before its save_model), but saving
    for real is refused, so that no write goes around the services."""

    def save(self, commit=True):
        if commit:
            raise TypeError(f"{type(self).__name__} only validates: save with interactions.services.setup")
        return super().save(commit=False)


class InteractionGroupForm(ValidatesOnly, forms.ModelForm):
    class Meta:
        model = InteractionGroup
        fields = ["code", "description"]

    def clean_code(self):
        return clean_code(self.cleaned_data["code"])


class InteractionTemplateForm(ValidatesOnly, forms.ModelForm):
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

    def values(self) -> TemplateValues:
        """What was entered, for services.setup.save_template."""
        return TemplateValues(
            **{field.name: self.cleaned_data[field.name] for field in dataclasses.fields(TemplateValues)}
        )


class InteractionTemplateLanguageForm(ValidatesOnly, forms.ModelForm):
    upload = forms.FileField(
        label=_("Import attachment"),
        required=False,
        validators=[validate_attachment_upload],
        help_text=_("Replaces the current attachment."),
    )
    remove_attachment = forms.BooleanField(label=_("Remove attachment"), required=False)
    create_attachment = forms.BooleanField(
        label=_("Create attachment"),
        required=False,
        help_text=_("A new text attachment with the text below; left empty, a blank one."),
    )
    attachment_text = forms.CharField(
        label=_("Text of the new attachment"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    copy_from = forms.TypedChoiceField(
        label=_("Copy attachment from"), required=False, coerce=int, empty_value=None, choices=[]
    )

    class Meta:
        model = InteractionTemplateLanguage
        fields = ["language", "description", "merge_body"]
        widgets = {"merge_body": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, copy_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["copy_from"].choices = [("", _("(none)")), *copy_choices]

    def clean(self):
        data = super().clean()
        chosen = [name for name in ("upload", "copy_from", "create_attachment", "remove_attachment") if data.get(name)]
        if len(chosen) > 1:
            raise ValidationError(
                _("Import, copy, create or remove the attachment: one of them at a time."), code="attachment_actions"
            )
        return data


class BaseInteractionTemplateLanguageFormSet(ValidatesOnly, forms.BaseInlineFormSet):
    """Keeps the template's rules that span its rows: the default language must have a row."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._copy_choices = None

    def copy_choices(self) -> list[tuple[int, str]]:
        """The language rows with an attachment, of every template, to copy from (one query
        for all the rows of the form)."""
        if self._copy_choices is None:
            self._copy_choices = [
                (
                    row.pk,
                    f"{row.template.code} · {row.get_language_display() or row.language} · {row.attachment.file_name}",
                )
                for row in InteractionTemplateLanguage.objects.filter(attachment__isnull=False)
                .select_related("template", "attachment")
                .order_by("template__code", "language")
            ]
        return self._copy_choices

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "copy_choices": self.copy_choices()}

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

    def language_changes(self) -> list[TemplateLanguageChange]:
        """What was entered, for services.setup.save_template: the new rows, the changed rows
        and the rows to delete (as the formset's own save would see them)."""
        changes = []
        for index, form in enumerate(self.forms):
            existing = index < self.initial_form_count()
            if existing and self._should_delete_form(form):
                changes.append(TemplateLanguageChange(id=form.instance.pk, delete=True))
            elif form.has_changed() and not self._should_delete_form(form):
                data = form.cleaned_data
                changes.append(
                    TemplateLanguageChange(
                        id=form.instance.pk if existing else None,
                        language=data["language"],
                        description=data.get("description", ""),
                        merge_body=data.get("merge_body", ""),
                        upload=data.get("upload") or None,
                        remove_attachment=bool(data.get("remove_attachment")),
                        create_text=data.get("attachment_text", "") if data.get("create_attachment") else None,
                        copy_from=data.get("copy_from"),
                    )
                )
        return changes


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


class SelectWithDisabledOptions(forms.Select):
    """A select whose options in `disabled` (values as text) cannot be chosen; one already
    chosen stays selectable, so that the page shows it and saving says why it is refused."""

    def __init__(self, *args, disabled=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.disabled = set(disabled)

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if str(value) in self.disabled and not selected:
            option["attrs"]["disabled"] = True
        return option


class InteractionTemplateSetupForm(ValidatesOnly, forms.ModelForm):
    """One select per automatic event; the model refuses templates with languages, so the
    selects show them marked and disabled ("has languages"), never as a choice that saving
    would refuse."""

    class Meta:
        model = InteractionTemplateSetup
        fields = SETUP_EVENTS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        templates = InteractionTemplate.objects.order_by("code").annotate(
            has_languages=Exists(InteractionTemplateLanguage.objects.filter(template=OuterRef("pk")))
        )
        # Every select offers the same templates: read them once for the whole form, not
        # once per event (a ModelChoiceField runs its queryset each time it renders).
        choices = [("", _("(do not record)"))] + [
            (template.pk, f"{template} — {_('has languages')}" if template.has_languages else str(template))
            for template in templates
        ]
        with_languages = {str(template.pk) for template in templates if template.has_languages}
        for name in SETUP_EVENTS:
            self.fields[name].queryset = templates
            self.fields[name].empty_label = _("(do not record)")
            self.fields[name].widget = SelectWithDisabledOptions(disabled=with_languages)
            self.fields[name].choices = choices

    def templates_by_event(self) -> dict:
        """What was chosen, for services.setup.save_template_setup."""
        return {name: self.cleaned_data[name] for name in SETUP_EVENTS if name in self.cleaned_data}

"""Form helpers shared by the project's list pages (contacts, documents, the interaction log)."""

from django import forms


def style_form(form) -> None:
    """Bootstrap classes on every widget of a form (small controls, as on list pages)."""
    for field in form.fields.values():
        if isinstance(field.widget, forms.Select):
            css = "form-select form-select-sm"
        elif isinstance(field.widget, forms.CheckboxInput):
            css = "form-check-input"
        else:
            css = "form-control form-control-sm"
        field.widget.attrs.setdefault("class", css)

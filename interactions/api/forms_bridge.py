"""A page's Django form as an API body: a serializer whose fields (for the schema and the
types) are made from the form's fields, and whose validation is the form's own, so that the
API accepts exactly what the page accepts, with the same messages."""

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers


def _choices(field) -> list:
    return [(value, label) for value, label in field.choices if value not in ("", None)]


def _initial(field: forms.Field):
    return field.initial() if callable(field.initial) else field.initial


def drf_field(field: forms.Field) -> serializers.Field:
    # A field the page fills in beforehand (a default date) may be left out, as on the page.
    required = field.required and _initial(field) in (None, "") and not isinstance(field, forms.BooleanField)
    common = {"required": required}
    if field.help_text:
        common["help_text"] = str(field.help_text)
    if isinstance(field, forms.BooleanField):
        return serializers.BooleanField(default=False, **{k: v for k, v in common.items() if k != "required"})
    if isinstance(field, forms.ModelChoiceField):
        key = field.to_field_name or "id"
        common["help_text"] = f"The {key} of the {field.queryset.model._meta.verbose_name}."
        if key == "id":
            return serializers.IntegerField(allow_null=not field.required, min_value=1, max_value=2**62, **common)
        return serializers.CharField(
            allow_blank=not field.required, allow_null=not field.required, max_length=100, **common
        )
    if isinstance(field, forms.ChoiceField):
        return serializers.ChoiceField(choices=_choices(field), allow_blank=not field.required, **common)
    if isinstance(field, forms.DateField):
        return serializers.DateField(allow_null=not field.required, **common)
    if isinstance(field, forms.TimeField):
        return serializers.TimeField(allow_null=not field.required, **common)
    if isinstance(field, forms.DecimalField):
        return serializers.DecimalField(
            max_digits=field.max_digits,
            decimal_places=field.decimal_places,
            min_value=0,
            allow_null=not field.required,
            **common,
        )
    if isinstance(field, forms.IntegerField):
        return serializers.IntegerField(
            min_value=field.min_value, max_value=field.max_value if field.max_value is not None else 2**62,
            allow_null=not field.required, **common,
        )  # fmt: skip
    return serializers.CharField(
        max_length=field.max_length, allow_blank=not field.required, allow_null=not field.required, **common
    )


def _as_form_data(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def form_data(values: dict) -> dict:
    """Validated API values as a page's form receives them (a checkbox is sent only checked)."""
    return {name: _as_form_data(value) for name, value in values.items() if value is not False}


def raise_form_errors(form: forms.Form, renames: dict[str, str] | None = None) -> None:
    """The form's errors as the API's field-by-field refusal."""
    renames = renames or {}
    errors = {
        ("non_field_errors" if name == "__all__" else renames.get(name, name)): [str(m) for m in messages]
        for name, messages in form.errors.items()
    }
    raise serializers.ValidationError(errors)


def form_serializer(
    form_class: type[forms.Form],
    *,
    name: str,
    exclude: tuple[str, ...] = (),
    overrides: dict[str, serializers.Field] | None = None,
    **form_kwargs,
):
    """A serializer class for the body of `form_class`; `serializer.form` is the valid form.
    `overrides` narrows some fields (the API accepts less than the page)."""
    form = form_class(**form_kwargs)
    attrs = {field_name: drf_field(field) for field_name, field in form.fields.items() if field_name not in exclude}
    attrs.update(overrides or {})

    def validate(self, attrs):
        initial = {
            name: _initial(field)
            for name, field in form_class(**form_kwargs).fields.items()
            if name not in attrs and name not in exclude and _initial(field) not in (None, "")
        }
        form = form_class(data=form_data({**initial, **attrs}), **form_kwargs)
        if not form.is_valid():
            raise_form_errors(form)
        self.form = form
        return attrs

    attrs["validate"] = validate
    attrs["__doc__"] = form_class.__doc__
    return type(name, (serializers.Serializer,), attrs)


def service_errors(error: DjangoValidationError, renames: dict[str, str] | None = None) -> serializers.ValidationError:
    renames = renames or {}
    if hasattr(error, "error_dict"):
        return serializers.ValidationError(
            {
                ("non_field_errors" if name == "__all__" else renames.get(name, name)): [
                    message for item in items for message in item.messages
                ]
                for name, items in error.error_dict.items()
            }
        )
    return serializers.ValidationError({"non_field_errors": error.messages})

from django import forms
from django.contrib import admin

from .models import Customer, Document, DocumentLine, DocumentVersion, Vendor, next_free_number
from .types import KIND_INFO


class BusinessPartnerAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "contact", "salesperson", "city"]
    search_fields = ["number", "name", "city"]
    list_select_related = ["contact", "salesperson"]
    autocomplete_fields = ["contact", "salesperson"]


admin.site.register(Customer, BusinessPartnerAdmin)
admin.site.register(Vendor, BusinessPartnerAdmin)


class DocumentLineInline(admin.TabularInline):
    model = DocumentLine
    fields = ["line_no", "description", "quantity", "unit_price", "amount"]
    readonly_fields = ["amount"]
    extra = 0


class DocumentAdminForm(forms.ModelForm):
    class Meta:
        model = Document
        fields = "__all__"

    def clean_number(self):
        # Left empty: the next number of the kind's series, drawn now so that the rules
        # (one document per kind and number) are checked with it.
        number = self.cleaned_data["number"].strip()
        kind = self.cleaned_data.get("kind")
        if not number and not self.instance.pk and kind in KIND_INFO:
            number = next_free_number(kind)
        return number


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    form = DocumentAdminForm
    list_display = ["number", "kind", "date", "customer", "vendor", "contact", "salesperson", "amount_including_vat"]
    list_filter = ["kind", "salesperson"]
    search_fields = ["number", "description", "customer__name", "vendor__name"]
    list_select_related = ["customer", "vendor", "contact", "salesperson"]
    autocomplete_fields = ["customer", "vendor", "contact", "salesperson", "campaign"]
    readonly_fields = [
        "occurrence", "amount", "vat_amount", "amount_including_vat", "no_printed", "no_of_archived_versions",
        "created_at", "created_by",
    ]  # fmt: skip
    date_hierarchy = "date"
    show_full_result_count = False
    inlines = [DocumentLineInline]

    def save_related(self, request, form, formsets, change):
        # Totals are kept with the header: recount them once the lines are saved.
        super().save_related(request, form, formsets, change)
        document = form.instance
        document.recalculate_totals(list(document.lines.all()))
        document.save(update_fields=["amount", "vat_amount", "amount_including_vat"])

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(DocumentVersion)
class DocumentVersionAdmin(admin.ModelAdmin):
    """Archived versions are copies of what was: they can be read and deleted, not edited."""

    list_display = ["number", "kind", "occurrence", "version_no", "archived_at", "archived_by", "archived_when_printed"]
    list_filter = ["kind", "archived_when_printed"]
    search_fields = ["number"]
    list_select_related = ["archived_by"]
    readonly_fields = [field.name for field in DocumentVersion._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

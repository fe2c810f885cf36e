from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Campaign, Contact, NumberSeries, Salesperson


@admin.register(Salesperson)
class SalespersonAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "email", "phone", "user"]
    search_fields = ["code", "name", "email"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["number", "description", "starting_date", "ending_date", "salesperson"]
    search_fields = ["number", "description"]
    list_filter = ["salesperson"]
    list_select_related = ["salesperson"]
    date_hierarchy = "starting_date"


class PersonInline(admin.TabularInline):
    model = Contact
    fk_name = "company"
    fields = ["number", "name", "job_title", "phone", "email"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = _("person")
    verbose_name_plural = _("persons")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "type", "company", "city", "phone", "email", "salesperson"]
    list_filter = ["type", "salesperson", "correspondence_type", "language", "exclude_from_segments", "country"]
    search_fields = ["number", "name", "email", "phone", "mobile", "city"]
    list_select_related = ["company", "salesperson"]
    autocomplete_fields = ["company", "salesperson"]
    readonly_fields = ["created_at", "modified_at"]
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["number", "type", "company", "name", "job_title", "salesperson"]}),
        (_("Communication"), {"fields": ["phone", "mobile", "fax", "email", "language", "correspondence_type"]}),
        (_("Address"), {"fields": ["address", "address_2", "post_code", "city", "country"]}),
        (_("Segmentation"), {"fields": ["exclude_from_segments", "created_at", "modified_at"]}),
    ]
    inlines = [PersonInline]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None and obj.is_company else []


@admin.register(NumberSeries)
class NumberSeriesAdmin(admin.ModelAdmin):
    list_display = ["code", "prefix", "width", "last_number"]

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import tokens
from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Every user's tokens: seen and revoked here, never created (a token is shown to its
    user once, on the profile page) nor edited."""

    list_display = ("name", "user", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at", "revoked_by")
    list_filter = ("revoked_at", "expires_at")
    search_fields = ("name", "user__username", "prefix")
    readonly_fields = [field.name for field in ApiToken._meta.fields]
    exclude = ("digest",)
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(tokens.REVOKE_ANY) or super().has_view_permission(request, obj)

    @admin.action(description=_("Revoke the selected tokens"), permissions=["revoke"])
    def revoke(self, request, queryset):
        count = sum(tokens.revoke_token(token=token, user=request.user) for token in queryset)
        self.message_user(
            request, ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count) % {"count": count},
            messages.SUCCESS,
        )  # fmt: skip

    def has_revoke_permission(self, request):
        return request.user.has_perm(tokens.REVOKE_ANY)

"""API tokens in the Django admin: who holds which token, until when; revoke them there
(deactivating a user also stops every token of theirs). Tokens are never shown or created here."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone

from alstrial.web.api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "created_at", "expires_at", "revoked_at", "last_used_at", "client_ip")
    list_filter = ("revoked_at",)
    search_fields = ("user__username",)
    readonly_fields = (*list_display, "digest")
    actions = ("revoke",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoked, never deleted: the list shows who held which token when

    def has_revoke_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    @admin.action(description="Revoke the selected tokens", permissions=["revoke"])
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"{count} token(s) revoked.")

from django.contrib import admin

from alstrial.web.safety.models import SiteSafetySettings


@admin.register(SiteSafetySettings)
class SiteSafetySettingsAdmin(admin.ModelAdmin):
    """Site time zones and e-mail of safety monitors (adverse events are entered in the app,
    through the audited service, never in the admin)."""

    list_display = ("site", "time_zone", "email_safety_monitors")

    def has_delete_permission(self, request, obj=None) -> bool:
        # Without a time zone a site's SAE clocks cannot be computed: change it, never delete.
        return False

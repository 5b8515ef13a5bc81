from django.contrib import admin

from alstrial.web.safety.models import SiteSafetySettings


@admin.register(SiteSafetySettings)
class SiteSafetySettingsAdmin(admin.ModelAdmin):
    """Site time zones and e-mail of safety monitors (adverse events are entered in the app,
    through the audited service, never in the admin)."""

    list_display = ("site", "time_zone", "email_safety_monitors")

from django.contrib import admin

from alstrial.web.safety.models import SiteSafetySettings


@admin.register(SiteSafetySettings)
class SiteSafetySettingsAdmin(admin.ModelAdmin):
    """Whether a site's safety monitors are e-mailed (adverse events are entered in the app,
    through the audited service, never in the admin; the time zone is set on the site)."""

    list_display = ("site", "email_safety_monitors")

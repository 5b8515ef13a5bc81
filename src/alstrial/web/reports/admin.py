"""Report builds in the Django admin: a read-only history (who built which report, when, how)."""

from django.contrib import admin

from alstrial.web.core.admin import ReadOnlyAdmin
from alstrial.web.reports.models import ReportBuild


@admin.register(ReportBuild)
class ReportBuildAdmin(ReadOnlyAdmin):
    list_display = ("trial", "status", "started_at", "finished_at", "started_by")
    list_filter = ("status", "trial")

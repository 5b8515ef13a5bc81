from django.contrib import admin

from alstrial.web.core.admin import ReadOnlyAdmin
from alstrial.web.subjects.models import Subject, Visit


@admin.register(Subject)
class SubjectAdmin(ReadOnlyAdmin):
    list_display = ("code", "trial", "site", "status", "version")
    list_filter = ("trial", "site", "status")


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ("subject", "code", "status", "visit_date", "version")
    list_filter = ("status", "code")

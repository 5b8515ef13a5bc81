from django.contrib import admin

from alstrial.web.core.admin import ReadOnlyAdmin
from alstrial.web.trials.models import Trial


@admin.register(Trial)
class TrialAdmin(ReadOnlyAdmin):
    list_display = ("slug", "title", "protocol_version", "protocol_sha256")

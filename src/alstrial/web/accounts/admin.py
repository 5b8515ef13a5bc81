"""django-axes' log-in records in the admin, read-only: the access and failure logs are
evidence of who logged in from where and who tried to, so no one may delete them there
(docs/operations.md "Log-in throttling"). Lock-outs (access attempts) can still be deleted:
that is how an administrator unlocks a user."""

from __future__ import annotations

from axes.admin import AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessFailureLog, AccessLog
from django.contrib import admin


class _Kept:
    """No deletion, one by one or in bulk (the bulk action asks this too)."""

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class KeptAccessLogAdmin(_Kept, AccessLogAdmin):
    pass


class KeptAccessFailureLogAdmin(_Kept, AccessFailureLogAdmin):
    pass


for model, model_admin in (
    (AccessLog, KeptAccessLogAdmin),
    (AccessFailureLog, KeptAccessFailureLogAdmin),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)

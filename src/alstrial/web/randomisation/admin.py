"""View-only admin of allocations and unblinding requests. The sealed seed and the sealed arms
are not registered: the admin is used by staff who may be blinded, and the seed is never shown
to anyone (docs/randomisation.md, "The sealed seed")."""

from django.contrib import admin

from alstrial.web.core.admin import ReadOnlyAdmin
from alstrial.web.randomisation.models import Allocation, UnblindingRequest


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    list_display = ("subject", "trial", "randomisation_number", "randomised_at", "randomised_by")
    list_filter = ("trial",)
    # Never the arm: it lives in SealedArm, which has no admin.
    fields = ("subject", "trial", "randomisation_number", "stratum", "randomised_at")


@admin.register(UnblindingRequest)
class UnblindingRequestAdmin(ReadOnlyAdmin):
    list_display = ("subject", "status", "requested_by", "requested_at", "approved_by")
    list_filter = ("status",)

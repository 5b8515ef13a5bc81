"""Admin: release authorities are granted here; product records are view-only (every change
goes through :mod:`alstrial.web.product.services`, the ledger is append-only)."""

from django.contrib import admin

from alstrial.web.core.admin import ReadOnlyAdmin
from alstrial.web.product.models import CustodyEntry, Lot, RefusedAttempt, ReleaseAuthority


@admin.register(ReleaseAuthority)
class ReleaseAuthorityAdmin(admin.ModelAdmin):
    """Who may sign lot releases at which site (granting and withdrawing it is not clinical
    data; the grant time is kept)."""

    list_display = ("user", "site", "granted_at")
    list_filter = ("site",)


@admin.register(Lot)
class LotAdmin(ReadOnlyAdmin):
    list_display = ("code", "subject", "site", "dose_number", "status", "expires_at")
    list_filter = ("site", "status")


@admin.register(CustodyEntry)
class CustodyEntryAdmin(ReadOnlyAdmin):
    list_display = ("lot", "event", "from_status", "to_status", "user", "at")
    list_filter = ("event",)


@admin.register(RefusedAttempt)
class RefusedAttemptAdmin(ReadOnlyAdmin):
    list_display = ("subject", "scanned_subject_id", "scanned_lot_id", "channel", "user", "at")

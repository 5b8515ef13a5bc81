from django.contrib import admin

from alstrial.web.core.models import Site, SiteMembership


class MembershipInline(admin.TabularInline):
    model = SiteMembership
    extra = 1


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "prefix", "time_zone")
    inlines = (MembershipInline,)


@admin.register(SiteMembership)
class SiteMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "site", "role")
    list_filter = ("site", "role")


class ReadOnlyAdmin(admin.ModelAdmin):
    """View-only admin for clinical data and trials: every change goes through the audited
    pages and services (``save_clinical``), never through the admin."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

from django.contrib import admin

from alstrial.web.core.models import Site, SiteMembership


class MembershipInline(admin.TabularInline):
    model = SiteMembership
    extra = 1


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "prefix")
    inlines = (MembershipInline,)


@admin.register(SiteMembership)
class SiteMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "site", "role")
    list_filter = ("site", "role")

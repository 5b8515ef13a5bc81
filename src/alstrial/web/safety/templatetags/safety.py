"""Template tags of the safety pages: a DataFrame as an HTML table, and the notification badge."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from alstrial.web.safety.services import unread_count

register = template.Library()


@register.simple_tag
def frame_table(frame):
    """Render a DataFrame as an escaped HTML table (numbers to 1 decimal, blanks for missing)."""
    return mark_safe(
        frame.to_html(index=False, na_rep="", float_format=lambda x: f"{x:.1f}", border=0)
    )


@register.simple_tag(takes_context=True)
def safety_badge(context):
    """A link to the user's notifications with the unread count (for the base navigation)."""
    user = context.get("user")
    count = unread_count(user) if user is not None else 0
    if not count:
        return ""
    return format_html(
        '<a href="/safety/notifications/" class="badge bad" id="safety-badge">{} safety</a>', count
    )

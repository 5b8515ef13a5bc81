"""``{% randomisation_panel subject %}``: the randomisation panel of the subject page."""

from __future__ import annotations

from django import template

from alstrial.web.randomisation.panel import panel_context

register = template.Library()


@register.inclusion_tag("randomisation/panel.html", takes_context=True)
def randomisation_panel(context, subject):
    # The panel's forms need the page's CSRF token (an inclusion tag has its own context).
    shown = panel_context(context["request"].user, subject)
    return {**shown, "csrf_token": context.get("csrf_token")}

"""Template context: the user's sites and roles, for the navigation and read-only rendering."""

from __future__ import annotations

from alstrial.web.core.access import has_any_role, is_deidentified, sites_for
from alstrial.web.core.models import ANALYSIS_ROLES, AUDIT_ROLES, DATA_ENTRY_ROLES


def roles(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "user_sites": sites_for(user),
        "can_enter_data": has_any_role(user, *DATA_ENTRY_ROLES),
        "can_read_audit": has_any_role(user, *AUDIT_ROLES),
        "can_download_analysis": has_any_role(user, *ANALYSIS_ROLES),
        "deidentified": is_deidentified(user),
    }

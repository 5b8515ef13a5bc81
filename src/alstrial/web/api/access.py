"""Site isolation and roles for the API: the same rules as the web views
(``alstrial.web.core.access``), in the order 404 first (another site's object), then 403 (a
role that may not act on an object the user can see)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from alstrial.web.core.access import (
    get_for_user_or_404,
    has_any_role,
    hides_arm,
    is_deidentified,
    require_role,
)
from alstrial.web.subjects.models import Subject

__all__ = [
    "get_for_user_or_404",
    "hides_arm",
    "hides_dates",
    "require_any_role",
    "require_role",
    "subject_for",
]


def require_any_role(user, *roles: str) -> None:
    """403 unless ``user`` holds one of ``roles`` at some site (the views' ``role_required``)."""
    if not has_any_role(user, *roles):
        raise PermissionDenied("your role does not allow this")


def subject_for(user, subject_id: int, *roles: str) -> Subject:
    """The subject if ``user`` sees it (else 404) and, with ``roles``, may act on it (else 403)."""
    subject = get_for_user_or_404(
        Subject.objects.select_related("site", "trial"), user, pk=subject_id
    )
    if roles:
        require_role(user, subject.site, *roles)
    return subject


def hides_dates(user, site) -> bool:
    """True for the de-identified reader (statistician): no calendar dates, no free text."""
    return is_deidentified(user, site)

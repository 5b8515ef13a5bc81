"""What the subject page's randomisation panel shows a given user (docs/randomisation.md,
"On the subject page"): number, date and stratum to everyone at the site; the arm only to an
unblinded role, or to the requester of an approved emergency unblinding."""

from __future__ import annotations

from alstrial.web.core.access import can_see_arm, has_role, is_deidentified
from alstrial.web.core.models import AUDIT_ROLES
from alstrial.web.randomisation.models import UnblindingRequest, UnblindingStatus
from alstrial.web.randomisation.services import (
    RANDOMISER_ROLES,
    UNBLINDING_APPROVER_ROLES,
    UNBLINDING_REQUESTER_ROLES,
    allocation_of,
    arm_of,
    revealed_arm,
)
from alstrial.web.subjects.models import SubjectStatus


def unblinding_rows(user, subject) -> list[dict]:
    """Each emergency unblinding request of ``subject`` as ``user`` may see it."""
    rows = []
    may_approve = has_role(user, subject.site, *UNBLINDING_APPROVER_ROLES)
    requests = UnblindingRequest.objects.filter(subject=subject).select_related(
        "requested_by", "approved_by"
    )
    for request in requests:
        rows.append(
            {
                "request": request,
                "arm": revealed_arm(user, request),
                "can_approve": may_approve
                and request.status == UnblindingStatus.REQUESTED
                and request.requested_by_id != user.pk,
            }
        )
    return rows


def panel_context(user, subject) -> dict:
    """The panel's context; ``show`` is False for a trial that is not randomised."""
    scheme = subject.trial.protocol.randomisation
    if scheme is None:
        return {"show": False}
    allocation = allocation_of(subject)
    return {
        "show": True,
        "subject": subject,
        "allocation": allocation,
        "stratum_label": scheme.stratum_label(allocation.stratum) if allocation else "",
        "arm": arm_of(subject) if allocation and can_see_arm(user, subject.site) else None,
        "can_randomise": allocation is None
        and subject.status == SubjectStatus.ENROLLED
        and has_role(user, subject.site, *RANDOMISER_ROLES),
        "can_request_unblinding": allocation is not None
        and has_role(user, subject.site, *UNBLINDING_REQUESTER_ROLES),
        # The de-identified reader sees no calendar dates; the requests (names, free text) are
        # for the roles that read the audit trail.
        "deidentified": is_deidentified(user, subject.site),
        "unblindings": unblinding_rows(user, subject)
        if allocation and has_role(user, subject.site, *AUDIT_ROLES)
        else [],
    }

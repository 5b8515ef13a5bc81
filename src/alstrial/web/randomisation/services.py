"""The one door for allocating subjects of a randomised trial, and for emergency unblinding.

Rules (docs/randomisation.md, "Allocation in the web app" and "Emergency unblinding"):
- :func:`randomise_subject` is the only way an :class:`Allocation` is made (the web button, the
  API and the demo all call it): an eligible, consented, enrolled subject of a randomised trial,
  once, by a coordinator or investigator at the subject's site. The allocation is computed by
  ``alstrial.domain.randomisation`` from the trial's sealed seed, inside one transaction that
  locks the seed's row, so simultaneous calls take distinct numbers and list positions.
- :func:`request_unblinding` (an investigator, with a reason) and :func:`approve_unblinding`
  (a second person, never the requester) reveal one subject's arm to the requester only.

Readers for other apps: :func:`is_randomised` (safe everywhere) and :func:`arm_of` (the arm
code; only for code paths that serve an unblinded role, ``access.can_see_arm``).
"""

from __future__ import annotations

import math
import secrets
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from alstrial.analysis.slopes import ols_slope, onset_anchored_slope, two_point_slope
from alstrial.domain import randomisation as rules
from alstrial.domain.errors import FieldError, ValidationError
from alstrial.domain.time import DAYS_PER_MONTH
from alstrial.web.assessments.models import AlsfrsAssessment
from alstrial.web.core import access
from alstrial.web.core.models import Role
from alstrial.web.core.records import ConflictError, save_clinical
from alstrial.web.randomisation.models import (
    Allocation,
    SealedArm,
    SealedSeed,
    UnblindingRequest,
    UnblindingStatus,
)
from alstrial.web.subjects.models import Subject, SubjectStatus, VisitStatus

#: Who may randomise a subject: a coordinator or an investigator at the subject's site.
RANDOMISER_ROLES = (Role.COORDINATOR, Role.INVESTIGATOR)
#: Who may request an emergency unblinding: an investigator at the subject's site.
UNBLINDING_REQUESTER_ROLES = (Role.INVESTIGATOR,)
#: Who may approve one (never the requester): another investigator at the site, or the safety
#: monitor (the trial's medical monitor). Approving reveals nothing to the approver.
UNBLINDING_APPROVER_ROLES = (Role.INVESTIGATOR, Role.SAFETY_MONITOR)
#: Seeds are 63-bit so they fit a signed 64-bit column on SQLite and PostgreSQL.
SEED_BITS = 63
#: The epoch of the protocol's lead-in phase (docs/protocols.md, "Phases").
LEAD_IN_EPOCH = "RUN-IN"
_SEX_LEVELS = {"F": "female", "M": "male"}


class AlreadyRandomised(ConflictError):
    """The subject already has an allocation: randomisation happens once (the API answers 409)."""

    def __init__(self, allocation: Allocation):
        self.obj = allocation
        self.expected = 0
        self.current = allocation.version
        Exception.__init__(
            self,
            f"{allocation.subject.code} was already randomised "
            f"(number {allocation.randomisation_number}); a subject is randomised once",
        )


# ---------------------------------------------------------------------------------------------
# Readers


def is_randomised(subject: Subject) -> bool:
    """True when ``subject`` has been allocated (reveals nothing about the arm)."""
    return Allocation._base_manager.filter(subject_id=subject.pk).exists()


def allocation_of(subject: Subject) -> Allocation | None:
    """The subject's allocation (number, stratum, when, by whom; no arm), or None."""
    return Allocation._base_manager.filter(subject_id=subject.pk).first()


def arm_of(subject: Subject) -> str | None:
    """The arm code of ``subject`` (e.g. ``MSC``), None when not randomised.

    For unblinded code paths only (the cell laboratory preparing active or placebo, the
    unblinded statistician, an approved emergency unblinding): a caller that serves a blinded
    role must not show it or anything derived from it (docs/randomisation.md, "Blinding").
    """
    sealed = SealedArm._base_manager.filter(allocation__subject_id=subject.pk)
    return sealed.values_list("arm", flat=True).first()


def arms_of(subject_ids) -> dict[int, str]:
    """``{subject id: arm code}`` of the randomised subjects among ``subject_ids`` (unblinded
    code paths only, as :func:`arm_of`)."""
    rows = SealedArm._base_manager.filter(allocation__subject_id__in=list(subject_ids))
    return dict(rows.values_list("allocation__subject_id", "arm"))


def is_emergency_unblinded(subject: Subject) -> bool:
    """True when an emergency unblinding of ``subject`` was approved."""
    return UnblindingRequest._base_manager.filter(
        subject_id=subject.pk, status=UnblindingStatus.APPROVED
    ).exists()


def emergency_unblinded_codes(trial) -> set[str]:
    """Codes of the subjects of ``trial`` with an approved emergency unblinding: the
    ``emergency_unblinded`` column of the analysis data (docs/randomisation.md)."""
    approved = UnblindingRequest._base_manager.filter(
        subject__trial=trial, status=UnblindingStatus.APPROVED
    )
    return set(approved.values_list("subject__code", flat=True))


# ---------------------------------------------------------------------------------------------
# The sealed seed


def seal_seed(trial, *, seed: int | None = None) -> SealedSeed:
    """Set up the trial's randomisation: store its secret seed (from ``secrets`` unless a fixed
    ``seed`` is given, as the demo does). Returns the existing seal when there is one: a
    trial's seed never changes once sealed."""
    scheme = trial.protocol.randomisation
    if scheme is None:
        raise ValidationError([FieldError("trial", f"trial {trial.slug} is not randomised")])
    if seed is not None and not 0 <= seed < 2**SEED_BITS:
        raise ValidationError([FieldError("seed", f"must be between 0 and 2^{SEED_BITS} - 1")])
    value = secrets.randbits(SEED_BITS) if seed is None else seed
    sealed, _ = SealedSeed.objects.get_or_create(trial=trial, defaults={"seed": value})
    return sealed


def _sealed_seed(trial) -> int:
    """The seed, read only by the allocation and by the statistician's regenerated list."""
    return SealedSeed.objects.values_list("seed", flat=True).get(trial=trial)


def regenerated_allocations(trial) -> list[rules.Allocation]:
    """Every allocation of ``trial`` recomputed from its sealed seed, in number order.

    For the unblinded statistician's randomisation list only (the caller checks the role):
    permuted blocks take each stratum's list as long as the stratum's allocations; minimisation
    replays the trial's subjects, with their recorded stratum levels, in randomisation order.
    """
    scheme = trial.protocol.randomisation
    made = list(
        Allocation._base_manager.filter(trial=trial)
        .select_related("sealed_arm")
        .order_by("randomisation_number")
    )
    if scheme is None or not made:
        return []
    seed = _sealed_seed(trial)
    if scheme.method == "permuted_blocks":
        counts: dict[int, int] = {}
        for allocation in made:
            counts[allocation.stratum_number] = counts.get(allocation.stratum_number, 0) + 1
        out = [
            entry
            for stratum, length in sorted(counts.items())
            for entry in rules.stratum_list(scheme, seed, stratum, length)
        ]
        return sorted(out, key=lambda a: a.randomisation_number)
    out: list[rules.Allocation] = []
    for allocation in made:
        previous = [(a.stratum, a.arm) for a in out]  # the replayed arms, not the stored ones
        out.append(rules.minimisation_allocation(scheme, seed, allocation.stratum, previous))
    return out


# ---------------------------------------------------------------------------------------------
# Stratification levels from the subject's data


def _lead_in_points(subject: Subject) -> list[tuple[date, int]]:
    """(visit date, ALSFRS-R total) of the subject's lead-in visits that took place."""
    rows = (
        AlsfrsAssessment._base_manager.filter(
            subject=subject, visit__epoch=LEAD_IN_EPOCH, visit__status=VisitStatus.DONE
        )
        .exclude(visit__visit_date=None)
        .order_by("visit__visit_date")
        .values_list("visit__visit_date", "total")
    )
    return list(rows)


def lead_in_decline(subject: Subject) -> float | None:
    """Points of ALSFRS-R lost per month over the lead-in (positive = decline), by the
    protocol's ``analysis.lead_in_slope`` rule as the analysis computes the lead-in slope
    (``alstrial.analysis.slopes``; months = days / 30.4375). None when too few visits."""
    points = _lead_in_points(subject)
    method = subject.trial.protocol.analysis.lead_in_slope
    if not points:
        return None
    origin = points[0][0]
    months = [(when - origin).days / DAYS_PER_MONTH for when, _ in points]
    totals = [total for _, total in points]
    if method == "onset_anchored":
        if subject.symptom_onset_date is None:
            return None
        onset_months = (points[-1][0] - subject.symptom_onset_date).days / DAYS_PER_MONTH
        slope = onset_anchored_slope(totals[-1], onset_months)
    elif method == "two_point":
        slope = two_point_slope(months[0], totals[0], months[-1], totals[-1])
    else:
        slope = ols_slope(months, totals)
    # + 0.0 turns a flat lead-in's -0.0 into 0.0 (shown in the refusal message).
    return -slope + 0.0 if math.isfinite(slope) else None


def _characteristics(subject: Subject, decline: float | None) -> dict:
    return {
        "onset_site": subject.onset_site or None,
        "sex": _SEX_LEVELS.get(subject.sex),
        "lead_in_decline": decline,
    }


def _entry_errors(subject: Subject, decline: float | None) -> list[FieldError]:
    """Why ``subject`` may not be randomised (empty when it may)."""
    errors: list[FieldError] = []
    if subject.trial.protocol.randomisation is None:
        errors.append(FieldError("trial", f"trial {subject.trial.slug} is not randomised"))
    if not subject.has_consent:
        errors.append(FieldError("consent_date", "randomisation needs informed consent"))
    if not subject.eligible:
        errors.append(FieldError("eligible", f"{subject.code} is not eligible"))
    if subject.status != SubjectStatus.ENROLLED:
        errors.append(
            FieldError("status", f"{subject.code} is not enrolled (status {subject.status})")
        )
    criteria = subject.trial.protocol.eligibility
    low = criteria.lead_in_decline_min_points_per_month
    high = criteria.lead_in_decline_max_points_per_month
    if (low is not None or high is not None) and not errors:
        # The protocol's entry rule on the lead-in decline (docs/protocols.md, "Eligibility").
        field = "lead_in_decline_points_per_month"
        if decline is None:
            errors.append(FieldError(field, "the lead-in ALSFRS-R visits are not recorded yet"))
        elif (low is not None and decline < low) or (high is not None and decline > high):
            errors.append(
                FieldError(
                    field,
                    f"lead-in decline {decline:.2f} points/month is outside the entry rule "
                    f"({_bound(low)} to {_bound(high)})",
                )
            )
    return errors


def _bound(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


# ---------------------------------------------------------------------------------------------
# The door


def randomise_subject(user, subject: Subject) -> Allocation:
    """Allocate ``subject`` (docs/randomisation.md, "Allocation in the web app").

    Raises PermissionDenied unless ``user`` is a coordinator or investigator at the subject's
    site; :class:`AlreadyRandomised` for a second call; ValidationError naming the reason when
    the subject is not eligible, consented and enrolled in a randomised trial, or a
    stratification factor is missing. Nothing is written unless every check passes.
    """
    access.require_role(user, subject.site, *RANDOMISER_ROLES)
    existing = allocation_of(subject)
    if existing is not None:
        raise AlreadyRandomised(existing)
    needs_decline = "lead_in_decline" in (
        subject.trial.protocol.randomisation.stratify_by
        if subject.trial.protocol.randomisation
        else ()
    )
    criteria = subject.trial.protocol.eligibility
    if (
        criteria.lead_in_decline_min_points_per_month is not None
        or criteria.lead_in_decline_max_points_per_month is not None
    ):
        needs_decline = True
    decline = lead_in_decline(subject) if needs_decline else None
    errors = _entry_errors(subject, decline)
    if errors:
        raise ValidationError(errors)
    scheme = subject.trial.protocol.randomisation
    levels = rules.subject_levels(scheme, _characteristics(subject, decline))
    seal_seed(subject.trial)
    with transaction.atomic():
        # The seed's row is the trial's allocation lock: a second caller waits here until the
        # first commits (PostgreSQL row lock; SQLite's IMMEDIATE transactions already queue).
        seed = (
            SealedSeed.objects.select_for_update()
            .values_list("seed", flat=True)
            .get(trial=subject.trial)
        )
        existing = allocation_of(subject)
        if existing is not None:
            raise AlreadyRandomised(existing)
        drawn = _draw(scheme, seed, subject.trial, levels)
        allocation = Allocation(
            subject=subject,
            trial=subject.trial,
            randomisation_number=drawn.randomisation_number,
            stratum=list(levels),
            stratum_number=scheme.stratum_number(levels),
            randomised_at=timezone.now(),
            randomised_by=user,
        )
        # The unique constraints (one allocation per subject, one number per trial) are the
        # last guard: were the lock bypassed, save_clinical turns a clash into ConflictError.
        save_clinical(allocation, user, "randomisation")
        sealed = SealedArm(
            allocation=allocation, arm=drawn.arm, block=drawn.block, block_size=drawn.block_size
        )
        sealed._history_user = user
        sealed._change_reason = "randomisation"
        sealed.save()
    return allocation


def _draw(scheme, seed: int, trial, levels) -> rules.Allocation:
    made = Allocation._base_manager.filter(trial=trial)
    if scheme.method == "permuted_blocks":
        already = made.filter(stratum_number=scheme.stratum_number(levels)).count()
        return rules.next_block_allocation(scheme, seed, levels, already)
    previous = [
        (tuple(stratum), arm)
        for stratum, arm in made.order_by("randomisation_number").values_list(
            "stratum", "sealed_arm__arm"
        )
    ]
    return rules.minimisation_allocation(scheme, seed, levels, previous)


# ---------------------------------------------------------------------------------------------
# Emergency unblinding


def request_unblinding(user, subject: Subject, reason: str) -> UnblindingRequest:
    """An investigator at the subject's site asks to reveal a randomised subject's arm."""
    access.require_role(user, subject.site, *UNBLINDING_REQUESTER_ROLES)
    errors = []
    if not (reason or "").strip():
        errors.append(FieldError("reason", "say why the arm must be revealed"))
    if not is_randomised(subject):
        errors.append(FieldError("subject", f"{subject.code} is not randomised"))
    if errors:
        raise ValidationError(errors)
    request = UnblindingRequest(
        subject=subject, requested_by=user, reason=reason.strip(), requested_at=timezone.now()
    )
    return save_clinical(request, user, "emergency unblinding requested")


def approve_unblinding(user, request: UnblindingRequest) -> UnblindingRequest:
    """A second authorised person approves: never the requester (PermissionDenied)."""
    access.require_role(user, request.subject.site, *UNBLINDING_APPROVER_ROLES)
    if user.pk == request.requested_by_id:
        raise PermissionDenied("An unblinding is approved by a second person, not the requester.")
    if request.status != UnblindingStatus.REQUESTED:
        raise ValidationError([FieldError("status", "this request was already approved")])
    request.status = UnblindingStatus.APPROVED
    request.approved_by = user
    request.approved_at = timezone.now()
    return save_clinical(request, user, "emergency unblinding approved by a second person")


def revealed_arm(user, request: UnblindingRequest) -> str | None:
    """The arm for the requester of an approved request; None for anyone else or before
    approval (the approver and other staff stay blinded)."""
    if request.status != UnblindingStatus.APPROVED or user.pk != request.requested_by_id:
        return None
    return arm_of(request.subject)

"""SDTM arm and treatment variables (docs/exchange.md, "Arms").

DM arms follow SDTMIG 3.4: a subject without an arm has ARMCD, ARM, ACTARMCD and ACTARM empty
and the reason in ARMNRS (``SCREEN FAILURE``, ``NOT ASSIGNED``, ``ASSIGNED, NOT TREATED``,
``UNPLANNED TREATMENT``, with ACTARMUD describing an unplanned treatment); the 3.2-style
pseudo-arms (``SCRNFAIL``, ``NOTASSGN``, ``NOTTRT``) are not used.

A trial without randomisation (kim2009, mazzini2003) has one arm, ``sdtm.ARM``, to which a
subject is assigned at enrolment (a subject still in screening is not assigned), and every
administration gives cells. A randomised trial's arms come from its protocol's
``[randomisation]`` section:

- Unblinded export (``TrialData.arms`` maps subject IDs to arm codes): DM ARMCD/ARM is the
  randomised arm, ACTARMCD/ACTARM the arm the subject was treated in (empty, ``ASSIGNED, NOT
  TREATED``, before the first dose; a dose without randomisation is ``UNPLANNED TREATMENT``);
  EX of a placebo arm has EXTRT ``PLACEBO`` and EXDOSE 0 cells; PR records a
  sham arm's procedure as ``SHAM LUMBAR PUNCTURE``.
- Blinded export (``TrialData.arms`` is None): what a GCP inspector expects of a blinded team's
  datasets, nothing derived from the arm. ARMCD/ACTARMCD are ``BLINDED`` and ARM/ACTARM
  ``Blinded treatment`` for every subject who is not a screen failure (the same placeholder for
  both arms, so that a treated subject's arm is not empty; a screen failure has no arm and
  ARMNRS ``SCREEN FAILURE``, which does not depend on the arm, and a subject still in screening
  ``NOT ASSIGNED``; randomised or not, dosed or not, is the blinded team's knowledge and is
  told by DS and EX, so it is not hidden there either), EXTRT is ``BLINDED STUDY TREATMENT``
  with EXDOSE and EXVAMT empty, and PR names the procedure as the protocol schedules it
  (lumbar puncture) for both arms, as the bedside does.
"""

from __future__ import annotations

from alstrial.domain.randomisation import Arm

#: EXTRT of a dose whose arm the export does not reveal.
BLINDED_TREATMENT = "BLINDED STUDY TREATMENT"
PLACEBO_TREATMENT = "PLACEBO"
#: ARMNRS, the reason a subject has no arm (SDTMIG 3.4 DM; CDISC code list ARMNULRS).
SCREEN_FAILURE = "SCREEN FAILURE"
NOT_ASSIGNED = "NOT ASSIGNED"
NOT_TREATED = "ASSIGNED, NOT TREATED"
UNPLANNED = "UNPLANNED TREATMENT"
NO_ARM = ("", "")
BLINDED_ARM = ("BLINDED", "Blinded treatment")
#: The sham counterpart of a real procedure (docs/exchange.md, "Arms").
SHAM_PROCEDURE = {"LUMBAR PUNCTURE": "SHAM LUMBAR PUNCTURE"}


def arm_by_code(protocol, code: str) -> Arm:
    """The protocol's arm whose code is ``code``."""
    for arm in protocol.randomisation.arms:
        if arm.code == code:
            return arm
    raise ValueError(f"arm {code!r} is not an arm of the protocol")


def dm_arms(
    planned: tuple[str, str] | None, *, screen_failed: bool, treated: bool, treatment: str
) -> dict[str, str]:
    """ARMCD, ARM, ACTARMCD, ACTARM, ARMNRS and ACTARMUD of one subject (SDTMIG 3.4).

    ``planned`` is the ``(code, name)`` of the arm the subject was assigned to (None when not
    assigned); once treated, the subject is treated in that arm: the unblinded pharmacy
    prepares the lots for the assigned arm. ``treatment`` describes a dose given without an
    assignment (ACTARMUD).
    """
    if screen_failed:
        planned, actual, reason = NO_ARM, NO_ARM, SCREEN_FAILURE
    elif planned is None:
        planned, actual = NO_ARM, NO_ARM
        reason = UNPLANNED if treated else NOT_ASSIGNED
    elif not treated:
        actual, reason = NO_ARM, NOT_TREATED
    else:
        actual, reason = planned, ""
    return {
        "ARMCD": planned[0],
        "ARM": planned[1],
        "ACTARMCD": actual[0],
        "ACTARM": actual[1],
        "ARMNRS": reason,
        "ACTARMUD": treatment if reason == UNPLANNED else "",
    }


def assigned_arm(protocol, arms, subject_id: str, single_arm: tuple[str, str], status: str):
    """The ``(code, name)`` a subject is assigned to, or None: the randomised arm (the blinded
    placeholder in a blinded export), or for a trial without randomisation its one arm from
    enrolment on."""
    if status in ("screening", "screen_failed"):
        return None
    if protocol.randomisation is None:
        return single_arm
    if arms is None:
        return BLINDED_ARM
    code = arms.get(subject_id)
    if code is None:
        return None
    arm = arm_by_code(protocol, code)
    return (arm.code, arm.name)


def exposure(protocol, arms, subject_id: str, treatment: str, cells, volume_ml) -> dict:
    """EXTRT, EXDOSE and EXVAMT of one administration (module docstring)."""
    if protocol.randomisation is None:
        return {"EXTRT": treatment, "EXDOSE": float(cells), "EXVAMT": float(volume_ml)}
    if arms is None:
        return {"EXTRT": BLINDED_TREATMENT, "EXDOSE": float("nan"), "EXVAMT": float("nan")}
    arm = arm_by_code(protocol, arms[subject_id])
    if arm.preparation == "placebo":
        return {"EXTRT": PLACEBO_TREATMENT, "EXDOSE": 0.0, "EXVAMT": float(volume_ml)}
    return {"EXTRT": treatment, "EXDOSE": float(cells), "EXVAMT": float(volume_ml)}


def procedure_name(protocol, arms, subject_id: str, name: str) -> str:
    """PRTRT of an administration's procedure: the sham procedure for a sham arm in an
    unblinded export, else the procedure as scheduled."""
    if protocol.randomisation is None or arms is None or subject_id not in arms:
        return name
    if arm_by_code(protocol, arms[subject_id]).procedure == "sham":
        return SHAM_PROCEDURE.get(name, f"SHAM {name}")
    return name

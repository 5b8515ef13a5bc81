"""SDTM arm and treatment variables of a randomised trial (docs/exchange.md, "Arms").

A trial without randomisation (kim2009, mazzini2003) has one arm, ``sdtm.ARM``, and every
administration gives cells. A randomised trial's arms come from its protocol's
``[randomisation]`` section:

- Unblinded export (``TrialData.arms`` maps subject IDs to arm codes): DM ARMCD/ARM is the
  randomised arm (``NOTASSGN`` for an enrolled subject not yet randomised, ``SCRNFAIL`` for a
  screen failure), ACTARMCD/ACTARM the arm the subject was treated in (``NOTTRT`` before the
  first dose); EX of a placebo arm has EXTRT ``PLACEBO`` and EXDOSE 0 cells; PR records a
  sham arm's procedure as ``SHAM LUMBAR PUNCTURE``.
- Blinded export (``TrialData.arms`` is None): what a GCP inspector expects of a blinded team's
  datasets, nothing derived from the arm. ARMCD/ACTARMCD are ``BLINDED`` and ARM/ACTARM
  ``Blinded treatment`` for every subject who is not a screen failure (the same placeholder for
  both arms: the variables are required, so they cannot be left empty in a conformant DM;
  ``SCRNFAIL`` stays, it does not depend on the arm; randomised or not, dosed or not, is the
  blinded team's knowledge and is told by DS and EX, so it is not hidden there either), EXTRT
  is ``BLINDED STUDY TREATMENT`` with EXDOSE and EXVAMT empty, and PR names the procedure as
  the protocol schedules it (lumbar puncture) for both arms, as the bedside does.
"""

from __future__ import annotations

from alstrial.domain.randomisation import Arm

#: EXTRT of a dose whose arm the export does not reveal.
BLINDED_TREATMENT = "BLINDED STUDY TREATMENT"
PLACEBO_TREATMENT = "PLACEBO"
SCREEN_FAILURE = ("SCRNFAIL", "Screen Failure")
NOT_ASSIGNED = ("NOTASSGN", "Not Assigned")
NOT_TREATED = ("NOTTRT", "Not Treated")
BLINDED_ARM = ("BLINDED", "Blinded treatment")
#: The sham counterpart of a real procedure (docs/exchange.md, "Arms").
SHAM_PROCEDURE = {"LUMBAR PUNCTURE": "SHAM LUMBAR PUNCTURE"}


def arm_by_code(protocol, code: str) -> Arm:
    """The protocol's arm whose code is ``code``."""
    for arm in protocol.randomisation.arms:
        if arm.code == code:
            return arm
    raise ValueError(f"arm {code!r} is not an arm of the protocol")


def randomised_arms(protocol, arms, subject_id: str, *, screen_failed: bool, treated: bool):
    """``((ARMCD, ARM), (ACTARMCD, ACTARM))`` of one subject of a randomised trial.

    ``arms`` is ``{subject ID: arm code}`` for an unblinded export, None for a blinded one.
    A subject is treated in the arm of the lots made for them, which the unblinded pharmacy
    prepares for the randomised arm, so the actual arm is the randomised one once dosed.
    """
    if screen_failed:
        return SCREEN_FAILURE, SCREEN_FAILURE
    if arms is None:
        return BLINDED_ARM, BLINDED_ARM
    code = arms.get(subject_id)
    if code is None:
        return NOT_ASSIGNED, NOT_TREATED
    arm = arm_by_code(protocol, code)
    planned = (arm.code, arm.name)
    return planned, planned if treated else NOT_TREATED


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

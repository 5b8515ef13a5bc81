"""DM arm and reference-date rules of SDTMIG 3.4, the ones CDISC's CORE rules engine flagged in
alstrial's earlier exports (docs/exchange.md, 'Arms'); ``sdtm_checks`` runs them before any
file is written.

- ARMNRS is given exactly when ARMCD or ACTARMCD is empty, and is a term of ARMNULRS;
- SCREEN FAILURE and NOT ASSIGNED: no planned and no actual arm; ASSIGNED, NOT TREATED: a
  planned arm, no actual arm; UNPLANNED TREATMENT: no actual arm and ACTARMUD describing it;
  ACTARMUD only then;
- ARM is empty exactly when ARMCD is, ACTARM exactly when ACTARMCD is;
- an actual arm equals the planned one (alstrial treats a subject in the assigned arm);
- RFENDTC is given exactly when there is a planned arm; RFSTDTC is empty for a subject never
  assigned; the 3.2 pseudo-arms (SCRNFAIL, NOTASSGN, NOTTRT) are not used.
"""

from __future__ import annotations

import pandas as pd

REASONS = {"SCREEN FAILURE", "NOT ASSIGNED", "ASSIGNED, NOT TREATED", "UNPLANNED TREATMENT"}
PSEUDO_ARMS = {"SCRNFAIL", "NOTASSGN", "NOTTRT"}


def check_dm_arms(dm: pd.DataFrame) -> list[str]:
    """Problems of the DM arm variables, one line naming the subject each."""
    problems = []
    for row in dm.itertuples():
        problems += [f"DM: {row.USUBJID} {p}" for p in _subject_problems(row)]
    return problems


def _subject_problems(row) -> list[str]:
    planned, actual, reason = bool(row.ARMCD), bool(row.ACTARMCD), row.ARMNRS
    problems = []
    if {row.ARMCD, row.ACTARMCD} & PSEUDO_ARMS:
        problems.append(f"uses a pseudo-arm ({row.ARMCD}/{row.ACTARMCD}); use ARMNRS")
    if bool(reason) == (planned and actual):
        problems.append(f"ARMNRS {reason!r} with ARMCD {row.ARMCD!r}, ACTARMCD {row.ACTARMCD!r}")
    if reason and reason not in REASONS:
        problems.append(f"ARMNRS {reason!r} is not a term of ARMNULRS")
    if reason in ("SCREEN FAILURE", "NOT ASSIGNED") and (planned or actual):
        problems.append(f"ARMNRS {reason} with an arm")
    if reason == "ASSIGNED, NOT TREATED" and (not planned or actual):
        problems.append("ARMNRS ASSIGNED, NOT TREATED needs a planned arm and no actual arm")
    if (reason == "UNPLANNED TREATMENT") != bool(row.ACTARMUD):
        problems.append("ACTARMUD is given exactly for ARMNRS UNPLANNED TREATMENT")
    if bool(row.ARM) != planned or bool(row.ACTARM) != actual:
        problems.append("ARM/ACTARM and ARMCD/ACTARMCD are not empty together")
    if planned and actual and row.ARMCD != row.ACTARMCD:
        problems.append(f"ACTARMCD {row.ACTARMCD} differs from ARMCD {row.ARMCD}")
    if bool(row.RFENDTC) != planned:
        problems.append(f"RFENDTC {row.RFENDTC!r} with ARMCD {row.ARMCD!r}")
    if reason in ("SCREEN FAILURE", "NOT ASSIGNED") and row.RFSTDTC:
        problems.append(f"RFSTDTC {row.RFSTDTC} for a subject never assigned")
    return problems

"""Clinical staging from one ALSFRS-R visit: King's and MiToS.

Rules: docs/domain.md, 'Staging'.
- King's: Balendra R et al. Estimating clinical stage of amyotrophic lateral sclerosis from the
  ALS Functional Rating Scale. ALS Frontotemporal Degener 2014;15:279-284.
- MiToS: Chio A et al. Development and evaluation of a clinical staging system for amyotrophic
  lateral sclerosis. J Neurol Neurosurg Psychiatry 2015;86:38-44, Table 1.
"""

from __future__ import annotations

from dataclasses import dataclass

from alstrial.domain.alsfrs import AlsfrsR

#: Flag set when no region is involved by ALSFRS-R; King's staging starts at symptom onset, so
#: such a visit is reported as stage 1.
NO_REGION_BY_ALSFRS = "no_region_by_alsfrs"

KINGS_STAGES = ("1", "2", "3", "4A", "4B", "5")


@dataclass(frozen=True)
class KingsStage:
    """King's stage ``1``, ``2``, ``3``, ``4A``, ``4B`` or ``5`` with the flags that qualify it."""

    stage: str
    regions: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.stage

    @property
    def numeric(self) -> float:
        """Stage as a number for plots and ordering: 4A is 4.0, 4B is 4.5."""
        return {"4A": 4.0, "4B": 4.5}.get(self.stage) or float(self.stage)


def involved_regions(score: AlsfrsR) -> tuple[str, ...]:
    """Regions involved by ALSFRS-R: bulbar (items 1-3 < 4), upper limb (4 or 5a < 4),
    lower limb (item 8 < 4). Items 7 and 9 are not used (Balendra 2014)."""
    regions = []
    if min(score["speech"], score["salivation"], score["swallowing"]) < 4:
        regions.append("bulbar")
    upper = [score["handwriting"]]
    if not score.gastrostomy:
        upper.append(score["cutting_without_gastrostomy"])
    if min(upper) < 4:
        regions.append("upper_limb")
    if score["walking"] < 4:
        regions.append("lower_limb")
    return tuple(regions)


def kings_stage(score: AlsfrsR, died: bool = False) -> KingsStage:
    """King's stage of one visit (docs/domain.md, 'Staging').

    4B (respiratory failure) if dyspnea = 0 or respiratory insufficiency < 4; else 4A if item 5b
    is scored (gastrostomy); else the number of involved regions, 0 regions being stage 1 with
    the flag ``no_region_by_alsfrs``. Death is stage 5.
    """
    if died:
        return KingsStage("5")
    if score["dyspnea"] == 0 or score["respiratory_insufficiency"] < 4:
        return KingsStage("4B")
    if score.gastrostomy:
        return KingsStage("4A")
    regions = involved_regions(score)
    if not regions:
        return KingsStage("1", regions, (NO_REGION_BY_ALSFRS,))
    return KingsStage(str(len(regions)), regions)


MITOS_DOMAINS = ("movement", "swallowing", "communicating", "breathing")


def mitos_domains_lost(score: AlsfrsR) -> tuple[str, ...]:
    """MiToS functional domains lost (Chio 2015, Table 1)."""
    lost = []
    if score["walking"] <= 1 or score["dressing_hygiene"] <= 1:
        lost.append("movement")
    if score["swallowing"] <= 1:
        lost.append("swallowing")
    # AND, not OR: a patient who cannot speak may still write (one public codebase has OR).
    if score["speech"] <= 1 and score["handwriting"] <= 1:
        lost.append("communicating")
    if score["dyspnea"] <= 1 or score["respiratory_insufficiency"] <= 2:
        lost.append("breathing")
    return tuple(lost)


def mitos_stage(score: AlsfrsR, died: bool = False) -> int:
    """MiToS stage 0-4: the number of domains lost; death is stage 5."""
    if died:
        return 5
    return len(mitos_domains_lost(score))

"""Read-only views of the product data for pages, labels and the API (no writes here)."""

from __future__ import annotations

from alstrial.domain.product_culture import CultureSummary, summarise_culture
from alstrial.domain.product_culture import Passage as PassageFacts
from alstrial.web.product.models import Batch, Lot


def culture_summary(batch: Batch) -> CultureSummary:
    """Population doublings per passage, cumulative, and days in culture of ``batch``."""
    passages = [
        PassageFacts(p.number, p.seeded_on, p.harvested_on, p.cells_seeded, p.cells_harvested)
        for p in batch.passages.all()
    ]
    return summarise_culture(batch.culture_started_on, passages)


def chain_of_custody(lot: Lot) -> list[dict]:
    """The lot's whole chain, oldest first: harvest, batch, passages, then every custody entry
    (made, QC, release, voids, preparation, shipping, refusals, administration, destruction)."""
    batch = lot.batch
    harvest = batch.harvest
    rows = [
        {
            "at": harvest.aspirated_at,
            "event": "harvest",
            "label": "bone marrow harvest",
            "who": harvest.operator,
            "note": (
                f"{harvest.volume_ml:g} ml bone marrow from the {harvest.anatomical_site} of "
                f"{harvest.subject.code} ({harvest.anticoagulant})"
            ),
        },
        {
            "at": batch.created_at,
            "event": "batch",
            "label": "batch started",
            "who": batch.created_by,
            "note": f"culture started {batch.culture_started_on}: {batch.expansion_method}",
        },
    ]
    for p in batch.passages.all():
        rows.append(
            {
                "at": p.created_at,
                "event": "passage",
                "label": f"passage {p.number}",
                "who": p.created_by,
                "note": (
                    f"seeded {p.seeded_on} ({p.cells_seeded:.3g} cells), harvested "
                    f"{p.harvested_on} ({p.cells_harvested:.3g} cells)"
                ),
            }
        )
    for entry in lot.custody.select_related("user").all():
        rows.append(
            {
                "at": entry.at,
                "event": entry.event,
                "label": entry.get_event_display(),
                "who": entry.user,
                "note": entry.note,
                "from_status": entry.from_status,
                "to_status": entry.to_status,
            }
        )
    return rows

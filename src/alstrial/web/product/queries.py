"""Read-only views of the product data for pages, labels and the API (no writes here)."""

from __future__ import annotations

from alstrial.domain.product_culture import CultureSummary, summarise_culture
from alstrial.domain.product_culture import Passage as PassageFacts
from alstrial.web.product.models import Batch, Lot
from alstrial.web.product.services import evaluate_lot


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


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def lot_record(lot: Lot) -> dict:
    """A lot as JSON-ready data (for the API and exports): identity, status, dose, expiry, the
    release evaluation and the current (not voided) signature. Units: cells, ml, kg, UTC times."""
    signature = lot.active_signature
    return {
        "lot_id": lot.code,
        "donor_subject_id": lot.subject.code,
        "site": lot.site.code,
        "trial": lot.subject.trial.slug,
        "dose_number": lot.dose_number,
        "status": lot.status,
        "expired": lot.is_expired,
        "dose_cells": lot.dose_cells,
        "cells_per_kg": lot.cells_per_kg,
        "weight_kg": lot.weight_kg,
        "vehicle": lot.vehicle or None,
        "volume_ml": lot.volume_ml,
        "formulated_at": _iso(lot.formulated_at),
        "expires_at": _iso(lot.expires_at),
        "release": evaluate_lot(lot).to_dict(),
        "signature": None
        if signature is None
        else {
            "signer": signature.signer.get_username(),
            "signer_name": signature.signer_name,
            "signed_at": _iso(signature.signed_at),
            "meaning": signature.meaning,
        },
        "version": lot.version,
    }

"""Lot labels: the printed identity of an autologous dose, with a QR code (segno).

The QR code holds the lot ID first and then the label's fields, separated by ``|``
(:func:`alstrial.domain.product_identity.label_payload`), e.g.::

    LOT-SEO-0007-A-01-H|DONOR=SEO-0007-A|PRODUCT=Autologous bone-marrow MSC|DOSE=7e+07 cells
    in 2 ml autologous cerebrospinal fluid|EXPIRES=2026-11-22 17:30 KST (+09:00)|FOR AUTOLOGOUS
    USE ONLY

Scanned into the administration form's lot field, the service reads the lot ID from it and
refuses a label whose printed donor differs from the donor inside the lot ID. The label is never
the source of truth: every check re-reads the lot from the database.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import segno

from alstrial.domain.local_time import format_local
from alstrial.domain.product_identity import label_payload
from alstrial.web.core.access import is_blinded_trial
from alstrial.web.product.models import Lot

AUTOLOGOUS_WARNING = "FOR AUTOLOGOUS USE ONLY"


@dataclass(frozen=True)
class LotLabel:
    """What a lot label shows; ``qr_svg`` is an inline SVG of :attr:`payload`."""

    lot_id: str
    donor_subject_id: str
    product: str
    dose: str
    expires: str
    warning: str
    payload: str
    qr_svg: str

    def qr_png(self, scale: int = 4) -> bytes:
        """The same QR code as a PNG image (for label printers that take raster images)."""
        buffer = io.BytesIO()
        qr_code(self.payload).save(buffer, kind="png", scale=scale)
        return buffer.getvalue()

    def to_dict(self) -> dict:
        return {
            "lot_id": self.lot_id,
            "donor_subject_id": self.donor_subject_id,
            "product": self.product,
            "dose": self.dose,
            "expires": self.expires,
            "warning": self.warning,
            "payload": self.payload,
        }


def qr_code(payload: str) -> segno.QRCode:
    """The label's QR code: error correction level M (15 % of the code may be damaged), never a
    Micro QR (not every scanner reads them)."""
    return segno.make(payload, error="m", micro=False)


def lot_label(lot: Lot, scale: int = 2) -> LotLabel:
    """The label of ``lot``. Before the dose is prepared, dose and expiry say so; in a blinded
    trial the dose is the volume only, the same for active and placebo."""
    protocol = lot.subject.trial.protocol
    product = protocol.interventions.product.description
    if lot.dose_cells is not None and is_blinded_trial(lot.subject.trial):
        # Blinded trial: the label of an active lot and of a placebo must read the same
        # (docs/product.md "Placebo"): the volume and vehicle only, never the cell count.
        dose = f"{lot.volume_ml:g} ml {lot.vehicle}"
    elif lot.dose_cells is not None:
        dose = f"{lot.dose_cells:.3g} cells in {lot.volume_ml:g} ml {lot.vehicle}"
        if lot.cells_per_kg:
            dose += f" ({lot.cells_per_kg:.3g} cells/kg x {lot.weight_kg:g} kg)"
    else:
        dose = "dose not yet prepared"
    # the bedside reads the site's clock: the expiry in local time, zone and offset shown
    expires = format_local(lot.expires_at, lot.site) if lot.expires_at else "not yet formulated"
    # The payload must not contain the separator: descriptions from the protocol are cleaned.
    fields = {
        "donor": lot.subject.code,
        "product": product.replace("|", "/"),
        "dose": dose.replace("|", "/"),
        "expires": expires,
    }
    payload = label_payload(fields, lot.code) + "|" + AUTOLOGOUS_WARNING
    qr = qr_code(payload)
    return LotLabel(
        lot_id=lot.code,
        donor_subject_id=lot.subject.code,
        product=product,
        dose=dose,
        expires=expires,
        warning=AUTOLOGOUS_WARNING,
        payload=payload,
        qr_svg=qr.svg_inline(scale=scale, title=f"QR code of lot {lot.code}"),
    )

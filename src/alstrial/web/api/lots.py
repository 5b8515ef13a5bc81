"""``/lots``: the cell product lots (docs/product.md), made, tested, prepared, released and
moved through the product app's services only (one door; each checks role, domain rules and
the lot's state, and writes nothing unless every check passes).

Reads: any role at the lot's site (as the product pages). Lots, QC, dose preparation: cell lab
and admin. Release: a person with a release authority at the site, who re-enters the password
(electronic signature). Custody (ship, receive, destroy): cell lab, investigator, admin.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Literal

from ninja import Field, Query, Router, Schema, Status
from pydantic import AwareDatetime

from alstrial.domain.local_time import in_site_time
from alstrial.domain.text_limits import MAX_REASON_CHARS
from alstrial.web.api.access import get_for_user_or_404, hides_arm, hides_dates, require_role
from alstrial.web.api.pages import PageParams, page, page_of
from alstrial.web.api.schemas import ChangeIn, ErrorOut, Integer, Number, StrictIn
from alstrial.web.api.site_time import SITE_TIME
from alstrial.web.core.records import ConflictError
from alstrial.web.product import services
from alstrial.web.product.models import Batch, Lot, QcResult

router = Router(tags=["cell product"])
ERRORS = {code: ErrorOut for code in (403, 404, 409, 422)}


class LotOut(Schema):
    id: int
    code: str = Field(description="LOT-<donor subject ID>-<nn>-<check>")
    site: str
    subject_id: int = Field(description="The donor (the only possible recipient).")
    donor_code: str
    batch_id: Integer | None = Field(description="null for a blinded role in a blinded trial")
    number: int
    dose_number: int
    status: str
    weight_kg: float | None
    dose_cells: float | None
    cells_per_kg: float | None
    vehicle: str | None
    volume_ml: float | None
    formulated_at: datetime | None = Field(description=SITE_TIME)
    expires_at: datetime | None = Field(description=SITE_TIME)
    releasable: bool | None = Field(
        description="Every release criterion passes now (null for a blinded role in a blinded "
        "trial)."
    )
    qc: dict | None = Field(description="QC results entered (null: none yet).")
    version: int


class LotsIn(StrictIn):
    batch_id: Integer
    dose_numbers: list[Integer] = Field(description="One lot per dose number (1..administrations).")


class QcIn(ChangeIn):
    """QC results; a field left out or null is not entered (its criterion stays pending).
    ``version`` is the lot's QC version (0 when none is entered yet)."""

    version: Integer = Field(0, ge=0)
    viability_pct: Number | None = None
    viable_cells: Number | None = None
    cd105: Number | None = None
    cd73: Number | None = None
    cd90: Number | None = None
    cd45: Number | None = None
    cd34: Number | None = None
    cd14: Number | None = None
    cd11b: Number | None = None
    cd79a: Number | None = None
    cd19: Number | None = None
    hla_dr: Number | None = None
    sterility: str | None = Field(None, description="negative or positive")
    mycoplasma: str | None = Field(None, description="negative or positive")
    endotoxin_eu_per_ml: Number | None = None
    appearance_ok: bool | None = None
    karyotype: str | None = Field(None, description="normal or abnormal")
    trilineage_ok: bool | None = None


class DoseIn(StrictIn):
    formulated_at: AwareDatetime | None = Field(
        None, description="Default now; ISO 8601 with a time zone (Z or +09:00)."
    )


class ReleaseIn(StrictIn):
    password: str = Field(
        description="The signer's password again (21 CFR 11.200).", max_length=4096
    )  # the log-in's limit: a megabyte "password" is not hashed
    meaning: str = ""


class CustodyIn(StrictIn):
    event: Literal["shipped", "received", "destroyed"]
    note: str = Field(
        "", description="Required to destroy; kept in the lot's trail.", max_length=MAX_REASON_CHARS
    )


#: What a blinded role sees of a lot of a blinded trial (docs/randomisation.md "Blinding"):
#: code, subject, dose number, expiry and release status; never the dose, vehicle, volume or QC,
#: which would tell an active lot from a placebo.
BLINDED_LOT_FIELDS = ("weight_kg", "dose_cells", "cells_per_kg", "vehicle", "volume_ml")


def lot_out(lot: Lot, user) -> dict:
    """The lot; the statistician (de-identified) gets no formulation or expiry time; a blinded
    role in a blinded trial gets no dose, QC or formulation (:data:`BLINDED_LOT_FIELDS`)."""
    if hides_arm(user, lot.subject.trial, lot.site_id):
        return _blinded_lot_out(lot, user)
    qc = QcResult.objects.filter(lot=lot).first()
    hidden = hides_dates(user, lot.site_id)
    return {
        **{
            name: getattr(lot, name)
            for name in (
                "code",
                "subject_id",
                "batch_id",
                "number",
                "dose_number",
                "status",
                "weight_kg",
                "dose_cells",
                "cells_per_kg",
                "vehicle",
                "volume_ml",
                "version",
            )
        },
        "id": lot.pk,
        "site": lot.site.code,
        "donor_code": lot.subject.code,
        "formulated_at": None if hidden else _local(lot.formulated_at, lot),
        "expires_at": None if hidden else _local(lot.expires_at, lot),
        "releasable": services.evaluate_lot(lot).releasable,
        "qc": {**qc.as_mapping(), "version": qc.version} if qc else None,
    }


def _local(moment, lot: Lot):
    """A stored time as the lot's site reads it, with its offset (docs/api.md, datetimes)."""
    return None if moment is None else in_site_time(moment, lot.site)


def _blinded_lot_out(lot: Lot, user) -> dict:
    """The lot as a blinded role sees it: nothing that differs between active and placebo."""
    hidden = hides_dates(user, lot.site_id)
    return {
        **{name: getattr(lot, name) for name in ("code", "subject_id", "number", "dose_number")},
        **dict.fromkeys(BLINDED_LOT_FIELDS),
        "status": lot.status,
        "version": lot.version,
        "batch_id": None,
        "id": lot.pk,
        "site": lot.site.code,
        "donor_code": lot.subject.code,
        "formulated_at": None,
        "expires_at": None if hidden else _local(lot.expires_at, lot),
        "releasable": None,
        "qc": None,
    }


LOTS = Lot.objects.select_related("site", "subject__trial")


def _lot(request, lot_id: int) -> Lot:
    return get_for_user_or_404(LOTS, request.user, pk=lot_id)


LotOutPage = page_of(LotOut)


@router.get("", response=LotOutPage, summary="List lots of your sites")
def list_lots(
    request, params: Query[PageParams], subject_id: int | None = None, status: str | None = None
):
    lots = LOTS.visible_to(request.user).order_by("code")
    return page(
        lots, params, partial(lot_out, user=request.user), subject_id=subject_id, status=status
    )


@router.get("/{lot_id}", response={200: LotOut, **ERRORS}, summary="One lot")
def get_lot(request, lot_id: int):
    return lot_out(_lot(request, lot_id), request.user)


@router.post("", response={201: list[LotOut], **ERRORS}, summary="Make lots from a batch")
def make_lots(request, payload: LotsIn):
    batch = get_for_user_or_404(
        Batch.objects.select_related("subject__site", "subject__trial"),
        request.user,
        pk=payload.batch_id,
    )
    lots = services.create_lots(batch, request.user, payload.dose_numbers)
    return Status(201, [lot_out(lot, request.user) for lot in lots])


@router.put("/{lot_id}/qc", response={200: LotOut, **ERRORS}, summary="Enter or change QC")
def record_qc(request, lot_id: int, payload: QcIn):
    """Changing a released lot's QC needs a reason and voids its release signature."""
    lot = _lot(request, lot_id)
    require_role(request.user, lot.site, *services.LAB_ROLES)  # 403 before any 409
    stored = QcResult.objects.filter(lot=lot).first()
    if stored is not None and stored.version != payload.version:
        # Entered by someone else since this client read "none yet" (version 0): a conflict,
        # not a change that merely lacks its reason.
        raise ConflictError(stored, payload.version, stored.version)
    values = payload.model_dump(exclude={"reason", "version"})
    services.record_qc(
        lot,
        request.user,
        values,
        reason=payload.reason,
        expected_version=payload.version,
    )
    return lot_out(_lot(request, lot_id), request.user)


@router.post("/{lot_id}/dose", response={200: LotOut, **ERRORS}, summary="Prepare the dose")
def prepare_dose(request, lot_id: int, payload: DoseIn):
    lot = _lot(request, lot_id)
    services.prepare_dose(lot, request.user, formulated_at=payload.formulated_at)
    return lot_out(_lot(request, lot_id), request.user)


@router.post("/{lot_id}/release", response={200: LotOut, **ERRORS}, summary="Sign the release")
def release(request, lot_id: int, payload: ReleaseIn):
    lot = _lot(request, lot_id)
    services.release_lot(lot, request.user, password=payload.password, meaning=payload.meaning)
    return lot_out(_lot(request, lot_id), request.user)


@router.post(
    "/{lot_id}/custody", response={200: LotOut, **ERRORS}, summary="Ship, receive, destroy"
)
def custody(request, lot_id: int, payload: CustodyIn):
    lot = _lot(request, lot_id)
    services.record_custody(lot, request.user, payload.event, note=payload.note)
    return lot_out(_lot(request, lot_id), request.user)

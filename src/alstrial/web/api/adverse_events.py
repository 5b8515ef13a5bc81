"""``/adverse-events``: initial reports (create) and follow-ups (update) through the safety
app's ``record_adverse_event``, which validates with ``alstrial.domain.safety`` (CTCAE grade,
ICH E2A seriousness, onset/resolution/awareness dates) and derives expectedness and SUSAR status.

Reads: reporters, safety monitors and auditors of the site (the statistician reads the aggregate
safety tables only, as on the web pages: 403). Reports and follow-ups: coordinator,
investigator, admin. Dates are site calendar dates; ``awareness_at`` is site local time (or an
ISO 8601 time with an offset) and is answered in UTC.
"""

from __future__ import annotations

from datetime import date, datetime

from ninja import Field, Query, Router, Schema, Status

from alstrial.domain.local_time import in_site_time
from alstrial.web.api.access import get_for_user_or_404, require_any_role, require_role, subject_for
from alstrial.web.api.pages import PageParams, page, page_of
from alstrial.web.api.schemas import ChangeIn, ErrorOut, Integer, StrictIn, max_length_of
from alstrial.web.api.site_time import SITE_TIME
from alstrial.web.safety import services
from alstrial.web.safety.models import AdverseEvent

router = Router(tags=["safety"])
ERRORS = {code: ErrorOut for code in (403, 404, 409, 422)}
RELATEDNESS = (
    "relatedness_cell_product",
    "relatedness_bone_marrow_aspiration",
    "relatedness_lumbar_puncture",
    "relatedness_spinal_surgery",
)


class Report(StrictIn):
    """The report's fields (``alstrial.web.safety.services.REPORT_FIELDS``)."""

    term: str = Field(
        description="Verbatim term; coded against alstrial's term list.",
        max_length=max_length_of(AdverseEvent, "verbatim_term"),
    )
    onset_date: date | None = None
    resolution_date: date | None = None
    grade: Integer | None = Field(None, description="CTCAE v5, 1-5")
    serious: bool | None = Field(None, description="Checked against the criteria if given.")
    seriousness_criteria: list[str] = Field(
        default_factory=list,
        description="death, life_threatening, hospitalisation, disability, "
        "congenital_anomaly, medically_important",
    )
    relatedness_cell_product: str = ""
    relatedness_bone_marrow_aspiration: str = ""
    relatedness_lumbar_puncture: str = ""
    relatedness_spinal_surgery: str = ""
    action_taken: str | None = None
    outcome: str | None = None
    awareness_at: str | None = Field(
        None, description="Site local time (YYYY-MM-DDTHH:MM) or ISO 8601 with an offset."
    )
    narrative: str = ""

    def data(self) -> dict:
        out = self.model_dump(exclude={"subject_id", "reason", "version", "serious"})
        if self.serious is not None:
            out["serious"] = "yes" if self.serious else "no"
        return out


class AdverseEventIn(Report):
    subject_id: Integer


class AdverseEventChangeIn(Report, ChangeIn):
    information_received_at: str | None = Field(
        None, description="When this follow-up's information arrived (site local time)."
    )

    def data(self) -> dict:
        out = super().data()
        out.pop("information_received_at", None)
        if self.information_received_at:
            out["information_received_at"] = self.information_received_at
        return out


class AdverseEventOut(Schema):
    id: int
    subject_id: Integer
    subject_code: str
    term: str
    verbatim_term: str
    term_code: str
    onset_date: date
    resolution_date: date | None
    grade: int
    serious: bool
    seriousness_criteria: list[str]
    related: bool
    expected: bool
    susar: bool
    relatedness_cell_product: str
    relatedness_bone_marrow_aspiration: str
    relatedness_lumbar_puncture: str
    relatedness_spinal_surgery: str
    action_taken: str
    outcome: str
    awareness_at: datetime | None = Field(description=SITE_TIME)
    narrative: str
    follow_up_number: int
    version: int


def ae_out(ae: AdverseEvent) -> dict:
    names = [n for n in AdverseEventOut.model_fields if n not in ("subject_code",)]
    out = {name: getattr(ae, name) for name in names if name != "id"}
    if ae.awareness_at is not None:  # on the site's clock, with its offset (docs/api.md)
        out["awareness_at"] = in_site_time(ae.awareness_at, ae.subject.site)
    return {**out, "id": ae.pk, "subject_code": ae.subject.code}


EVENTS = AdverseEvent.objects.select_related("subject__site", "subject__trial")


def _event(request, event_id: int, *roles) -> AdverseEvent:
    ae = get_for_user_or_404(EVENTS, request.user, pk=event_id)
    require_role(request.user, ae.subject.site, *roles)
    return ae


AdverseEventOutPage = page_of(AdverseEventOut)


@router.get("", response=AdverseEventOutPage, summary="List events")
def list_events(
    request, params: Query[PageParams], subject_id: int | None = None, serious: bool | None = None
):
    require_any_role(request.user, *services.READER_ROLES)
    events = EVENTS.visible_to(request.user, *services.READER_ROLES).order_by("-onset_date", "-id")
    return page(events, params, ae_out, subject_id=subject_id, serious=serious)


@router.get("/{event_id}", response={200: AdverseEventOut, **ERRORS}, summary="One event")
def get_event(request, event_id: int):
    return ae_out(_event(request, event_id, *services.READER_ROLES))


@router.post("", response={201: AdverseEventOut, **ERRORS}, summary="Report an event")
def report_event(request, payload: AdverseEventIn):
    """The initial report; serious events start the reporting clocks and notify the monitors."""
    subject = subject_for(request.user, payload.subject_id, *services.REPORTER_ROLES)
    ae = services.record_adverse_event(subject, payload.data(), request.user)
    return Status(201, ae_out(ae))


@router.put("/{event_id}", response={200: AdverseEventOut, **ERRORS}, summary="Follow-up")
def follow_up(request, event_id: int, payload: AdverseEventChangeIn):
    """A follow-up report: the whole report again, with a reason and the version read."""
    ae = _event(request, event_id, *services.REPORTER_ROLES)
    services.record_adverse_event(
        ae.subject,
        payload.data(),
        request.user,
        instance=ae,
        reason=payload.reason,
        expected_version=payload.version,
    )
    return ae_out(ae)

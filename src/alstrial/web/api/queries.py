"""Data queries (docs/api.md, "Queries"; docs/datamanagement.md).

- ``GET /queries?subject_id=&status=``: the queries of the user's sites (reader roles: the site's
  data-entry roles, monitor, data manager, auditor), oldest first, with their age in days.
- ``POST /queries`` ``{"subject_id", "form", "record_id", "field", "text"}``: a monitor or data
  manager raises one by hand (origin ``manual``); 201.
- ``POST /queries/{id}/answer`` ``{"answer"}``: the site answers an open query.
- ``POST /queries/{id}/close`` ``{"reason"?}`` and ``/reopen`` ``{"reason"}``: the monitor.
Every write goes through :mod:`alstrial.web.dataquality.services`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.utils import timezone
from ninja import Field, Router, Schema, Status

from alstrial.web.api.access import get_for_user_or_404, require_any_role, subject_for
from alstrial.web.api.schemas import ErrorOut, StrictIn
from alstrial.web.dataquality import services
from alstrial.web.dataquality.models import Query

router = Router(tags=["queries"])
ERRORS = {code: ErrorOut for code in (403, 404, 409, 422)}


class QueryOut(Schema):
    id: int
    subject_id: int
    form: str = Field(description="Form key, e.g. alsfrs_r, fvc, visit, adverse_event, subject")
    record_id: int = Field(description="Primary key of the record in that form")
    field: str
    status: Literal["open", "answered", "closed"]
    origin: Literal["check", "manual"]
    check: str = Field(description="The protocol's check code (origin check), else empty")
    text: str
    answer: str
    opened_at: datetime = Field(description="UTC")
    age_days: int = Field(description="Whole days since it was opened")


class QueryIn(StrictIn):
    subject_id: int
    form: str
    record_id: int
    field: str
    text: str = Field(description="The question, in the monitor's words")


class AnswerIn(StrictIn):
    answer: str = Field(description="The site's answer: the reason the value is right or changed")


class CloseIn(StrictIn):
    reason: str = ""


class ReopenIn(StrictIn):
    reason: str


def query_out(query: Query) -> dict:
    return {
        "id": query.pk,
        "subject_id": query.subject_id,
        "form": query.form,
        "record_id": query.record_id,
        "field": query.field,
        "status": query.status,
        "origin": query.origin,
        "check": query.check_code,
        "text": query.text,
        "answer": query.answer,
        "opened_at": query.opened_at,
        "age_days": (timezone.now() - query.opened_at).days,
    }


def _query(request, query_id: int) -> Query:
    return get_for_user_or_404(Query.objects.select_related("site"), request.user, pk=query_id)


@router.get("", response={200: list[QueryOut], **ERRORS}, summary="List queries")
def list_queries(
    request,
    subject_id: int | None = None,
    status: Literal["open", "answered", "closed"] | None = None,
):
    """Queries of the sites where the user reads them, oldest first."""
    require_any_role(request.user, *services.READER_ROLES)
    rows = Query.objects.visible_to(request.user, *services.READER_ROLES)
    if subject_id is not None:
        rows = rows.filter(subject_id=subject_id)
    if status is not None:
        rows = rows.filter(status=status)
    return [query_out(q) for q in rows.order_by("opened_at", "id")]


@router.post("", response={201: QueryOut, **ERRORS}, summary="Raise a query by hand")
def open_query(request, payload: QueryIn):
    """A monitor or data manager asks about one value of one of the subject's records."""
    subject = subject_for(request.user, payload.subject_id)
    query = services.open_manual_query(
        request.user, subject, payload.form, payload.record_id, payload.field, payload.text
    )
    return Status(201, query_out(query))


@router.post("/{query_id}/answer", response={200: QueryOut, **ERRORS}, summary="Answer a query")
def answer_query(request, query_id: int, payload: AnswerIn):
    """The site answers an open query (422 when it is not open)."""
    return query_out(services.answer_query(request.user, _query(request, query_id), payload.answer))


@router.post("/{query_id}/close", response={200: QueryOut, **ERRORS}, summary="Close a query")
def close_query(request, query_id: int, payload: CloseIn):
    """The monitor closes an open or answered query."""
    return query_out(services.close_query(request.user, _query(request, query_id), payload.reason))


@router.post("/{query_id}/reopen", response={200: QueryOut, **ERRORS}, summary="Re-open a query")
def reopen_query(request, query_id: int, payload: ReopenIn):
    """The monitor re-opens an answered or closed query, with the reason."""
    return query_out(services.reopen_query(request.user, _query(request, query_id), payload.reason))

"""The de-identified statistician downloads no free text and no calendar dates.

Every free-text field of the records behind the exports (a text field without a list of
choices, other than the codes that identify records) is filled with a marker of its own; the
test then downloads every export the statistician's exchange links offer and scans every file
for the markers and for anything that looks like a calendar date or a time of day.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from django.db import models
from django.urls import reverse
from export_reports import ae_report
from support.deidentified import DATE_PATTERNS

from alstrial.domain.alsfrs_items import ITEMS
from alstrial.web.exchange.views import KINDS

#: Text fields that are not free text: codes identifying records, terms from alstrial's list
#: (``term`` of a coded event; the uncoded one is marked below), the protocol's visit names.
NOT_FREE_TEXT = {"code", "term_code", "coded_term", "term", "name", "phase", "epoch"}


def free_text_fields(model) -> list[str]:
    return [
        f.attname
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField)
        and not f.choices
        and f.attname not in NOT_FREE_TEXT
    ]


@pytest.fixture
def filled(kim_trial, enrolled_subject, users):
    """A subject with visits, an ALSFRS-R, a harvest and two adverse events (one uncoded), and
    a marker in each free-text field of each of these records."""
    from alstrial.web.assessments.models import AlsfrsAssessment, ConcomitantMedication
    from alstrial.web.core.records import save_clinical
    from alstrial.web.product.models import Harvest
    from alstrial.web.product.services import record_harvest
    from alstrial.web.safety.models import AdverseEvent
    from alstrial.web.safety.services import record_adverse_event
    from alstrial.web.subjects.models import Subject, Visit

    subject = enrolled_subject("seoul", days_ago=60)
    user = users["coordinator.seoul"]
    visit = subject.visits.get(code="SCR")
    items = {i.key: 3 for i in ITEMS if i.key != "cutting_with_gastrostomy"}
    save_clinical(AlsfrsAssessment(subject=subject, visit=visit, **items), user)
    medication = ConcomitantMedication(subject=subject, visit=visit, riluzole=True, edaravone=False)
    save_clinical(medication, user)
    record_harvest(
        subject,
        users["investigator.seoul"],
        aspirated_at=datetime.now(UTC) - timedelta(days=1),
        volume_ml=30,
        anticoagulant="heparin",
    )
    for term in ("headache", "fell off the bike near Gangnam station on 3 March"):
        record_adverse_event(subject, ae_report(subject, term), user)
    assert AdverseEvent.objects.filter(term_code="").count() == 1  # the second is uncoded
    markers = {}
    for model in (Subject, Visit, AlsfrsAssessment, ConcomitantMedication, Harvest, AdverseEvent):
        for name in free_text_fields(model):
            marker = f"FREETEXT{len(markers):03d}Q"
            markers[marker] = f"{model.__name__}.{name}"
            raw(model).filter(**{"pk" if model is Subject else "subject": subject.pk}).update(
                **{name: marker}
            )
    # the uncoded event keeps a free-text term (its verbatim term, as typed)
    raw(AdverseEvent).filter(term_code="").update(term="FREETEXT-TERM-Q")
    markers["FREETEXT-TERM-Q"] = "AdverseEvent.term (uncoded)"
    return markers


def raw(model) -> models.QuerySet:
    """A plain queryset: the test writes its markers past the clinical records' audit trail
    (the exports read the current tables; the trail is not in the statistician's exports)."""
    return models.QuerySet(model=model)


def downloads(client, user) -> dict[str, bytes]:
    """Every file of every export the user's exchange links offer (file name -> bytes)."""
    client.force_login(user)
    dashboard = client.get(reverse("trials:dashboard", args=["kim2009"])).content.decode()
    files = {}
    for kind in KINDS:
        url = reverse("exchange:download", args=["kim2009", kind])
        response = client.get(url)
        assert (url in dashboard) == (response.status_code == 200), (kind, response.content[:300])
        if response.status_code != 200:
            continue
        if response["Content-Type"] == "application/zip":
            archive = zipfile.ZipFile(io.BytesIO(response.content))
            files.update({f"{kind}/{n}": archive.read(n) for n in archive.namelist()})
        else:
            files[kind] = response.content
    return files


def test_statistician_downloads_carry_no_free_text_and_no_dates(client, users, filled):
    files = downloads(client, users["statistician"])
    assert {"csv/adverse_events.csv", "csv/subjects.csv", "csv/visits.csv", "dictionary"} <= set(
        files
    )
    found = []
    for name, content in files.items():
        text = content.decode("utf-8")
        found += [(name, filled[m]) for m in filled if m in text]
        found += [(name, p.search(text).group()) for p in DATE_PATTERNS if p.search(text)]
        found += [(name, "as typed") for word in ("Gangnam", "bike") if word in text]
    assert found == []
    assert b"UNCODED" in files["csv/adverse_events.csv"]
    assert len(filled) >= 8  # the scan had markers to look for (withdrawal, narrative, other...)


def test_the_scan_finds_dates_and_markers_where_they_are(client, users, filled):
    """The same scan over the investigator's SDTM export finds what is there (it can fail)."""
    files = downloads(client, users["investigator.seoul"])
    sdtm = "\n".join(c.decode("utf-8") for n, c in files.items() if n.endswith(".csv"))
    assert any(p.search(sdtm) for p in DATE_PATTERNS)
    assert "FREETEXT-TERM-Q" in sdtm  # AEDECOD of the uncoded event

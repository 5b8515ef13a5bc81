"""The demo hook reproduces the reference studies' safety results, read from the same tables
the report shows (Kim 2009: transient headache, low back pain, myalgia; Mazzini 2003:
intercostal pain in 4 subjects, mean 3 days; leg dysesthesia in 5, mean 6 weeks; no SAE)."""

from __future__ import annotations

from datetime import date

import pytest

from alstrial.web.core.demo import DemoContext
from alstrial.web.safety.board import trial_report_tables
from alstrial.web.safety.demo import load_demo
from alstrial.web.safety.models import AdverseEvent
from alstrial.web.subjects.services import record_visit

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def treated(enrolled_subject, site_code: str, n: int, days_ago: int, user):
    """``n`` enrolled subjects whose first administration visit is done."""
    out = []
    for _ in range(n):
        subject = enrolled_subject(site_code, days_ago=days_ago)
        visit = subject.visits.get(administration=1)
        record_visit(visit, user, visit_date=visit.target_date)
        out.append(subject)
    return out


def by_term(table):
    return table.set_index("term")


def test_demo_tables_read_like_the_papers(enrolled_subject, users, sites):
    kim = treated(enrolled_subject, "seoul", 6, 250, users["coordinator.seoul"])
    mazzini = treated(enrolled_subject, "novara", 5, 120, users["coordinator.novara"])
    ctx = DemoContext(
        today=date.today(),
        sites=sites,
        users=users,
        subjects={"kim2009": kim, "mazzini2003": mazzini},
        log=lambda text: None,
    )
    load_demo(ctx)

    tables = trial_report_tables(mazzini[0].trial)
    overview = tables["Overview of adverse events"].set_index("category")
    assert overview.loc["serious (SAE)", "events"] == 0
    assert overview.loc["fatal (grade 5)", "events"] == 0
    terms = by_term(tables["Subjects and events by term and grade"])
    assert terms.loc["intercostal pain", "subjects"] == 4
    assert terms.loc["leg dysesthesia", "subjects"] == 5
    resolution = by_term(tables["Time to resolution (days)"])
    assert resolution.loc["intercostal pain", "mean_days"] == pytest.approx(3.0)
    assert resolution.loc["leg dysesthesia", "mean_weeks"] == pytest.approx(6.0)
    assert resolution["unresolved"].sum() == 0
    assert tables["Serious adverse events"].empty

    tables = trial_report_tables(kim[0].trial)
    terms = by_term(tables["Subjects and events by term and grade"])
    assert set(terms.index) == {"any term", "headache", "low back pain", "myalgia"}
    assert terms.loc["headache", "subjects"] == 6
    assert terms.loc["any term", "serious"] == 0
    events = AdverseEvent.objects.filter(subject__trial=kim[0].trial)
    assert all(ae.expected and ae.related and not ae.susar for ae in events)
    resolution = by_term(tables["Time to resolution (days)"])
    assert resolution["max_days"].max() <= 4  # transient

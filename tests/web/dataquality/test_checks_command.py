"""``alstrial checks run``: the batch run raises the queries of data entered before the checks
existed, once, and only for a monitor or data manager."""

from __future__ import annotations

from typer.testing import CliRunner

from alstrial.cli import app
from alstrial.web.assessments.models import FvcAssessment
from alstrial.web.assessments.services import record_visit_form
from alstrial.web.dataquality.models import Query


def test_batch_run_opens_missing_queries_once(enrolled_subject, users, make_user):
    subject = enrolled_subject()
    coordinator = users["coordinator.seoul"]
    visit = next(v for v in subject.visits.order_by("sequence") if "fvc" in v.forms)
    record_visit_form(
        FvcAssessment(subject=subject, visit=visit, fvc_percent_predicted=30.0),
        coordinator,
        visit_date=subject.screening_date,
    )
    # As if the data had been entered before the protocol declared its checks.
    Query.objects.filter(subject=subject).delete()
    make_user("dm.seoul", {"seoul": ["data_manager"]})

    refused = CliRunner().invoke(
        app, ["checks", "run", "--trial", "kim2009", "--user", "coordinator.seoul"]
    )
    assert refused.exit_code == 2
    assert not Query.objects.exists()

    args = ["checks", "run", "--trial", "kim2009", "--user", "dm.seoul"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    opened = Query.objects.filter(subject=subject, form="fvc", check_code="fvc_low")
    assert opened.count() == 1
    assert opened.get().opened_by.username == "dm.seoul"
    assert f"{subject.code}: " in first.output
    total = Query.objects.count()
    assert f"{total} query(ies) opened" in first.output

    second = CliRunner().invoke(app, args)
    assert second.exit_code == 0
    assert "0 query(ies) opened, 0 closed" in second.output
    assert Query.objects.count() == total

"""The demo holds check queries in every state, raised by the protocols' edit checks on the
demo data (docs/datamanagement.md), and the monitor and data manager demo users."""

from __future__ import annotations

import pytest
from django.utils import timezone

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def test_demo_has_open_answered_and_closed_check_queries():
    from alstrial.domain.edit_checks import run_checks
    from alstrial.web.core.access import has_role
    from alstrial.web.core.demo import DemoContext, load_all_demo_data
    from alstrial.web.dataquality.models import Query
    from alstrial.web.dataquality.subject_data import subject_data

    ctx = load_all_demo_data(DemoContext(today=timezone.localdate(), log=lambda text: None))
    queries = Query.objects.filter(origin="check")
    assert set(queries.values_list("status", flat=True)) == {"open", "answered", "closed"}
    # Each open or answered query is a finding the checks still make (none is invented), and
    # every finding of the demo data has its query.
    for slug, trial in ctx.trials.items():
        findings = {
            (f.check, f.form, f.record, f.field)
            for subject in trial.subjects.all()
            for f in run_checks(trial.protocol.checks, subject_data(subject))
        }
        raised = {
            (q.check_code, q.form, q.record_id, q.field)
            for q in queries.filter(subject__trial=trial)
        }
        assert raised == findings, slug
    seoul = ctx.sites["seoul"]
    assert has_role(ctx.users["cra.seoul"], seoul, "monitor")
    assert has_role(ctx.users["dm.trials"], ctx.sites["novara"], "data_manager")

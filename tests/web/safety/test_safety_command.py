"""``alstrial safety overdue``: lists overdue expedited reports, exit 1 when there is any."""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import pytest
from typer.testing import CliRunner

from alstrial.cli import app
from alstrial.web.safety import services
from alstrial.web.safety.models import Notification

pytestmark = pytest.mark.django_db


def test_overdue_command(site_zones, enrolled_subject, users, sae_data):
    runner = CliRunner()
    result = runner.invoke(app, ["safety", "overdue"])
    assert result.exit_code == 0, result.output
    assert "No expedited report is overdue" in result.output

    subject = enrolled_subject("seoul")
    data = sae_data(
        subject,
        term="headache",
        seriousness_criteria=["disability"],
        relatedness_lumbar_puncture="probable",
    )
    services.record_adverse_event(subject, data, users["coordinator.seoul"])
    result = runner.invoke(app, ["safety", "overdue", "--json", "--notify"])
    assert result.exit_code == 1
    items = json.loads(result.output)
    # a grade 3 headache is more severe than expected (ICH E2A): with relatedness probable and
    # a seriousness criterion it is a SUSAR, so its 15-day authority report is overdue too
    assert [(i["subject"], i["report"]) for i in items] == [
        (subject.code, "sponsor"),
        (subject.code, "authority_initial"),
    ]
    sponsor_day = subject.consent_date + timedelta(days=12)
    assert items[0]["due_local"] == f"{sponsor_day} 09:30 (Asia/Seoul)"
    authority_day = subject.consent_date + timedelta(days=11 + 15)
    assert items[1]["due_local"] == f"end of {authority_day} (Asia/Seoul)"
    assert Notification.objects.filter(message__startswith="OVERDUE").count() == 2


def test_tables_command_writes_every_table(tmp_path, site_zones, enrolled_subject, users, ae_data):
    subject = enrolled_subject("seoul")
    services.record_adverse_event(subject, ae_data(subject), users["coordinator.seoul"])
    runner = CliRunner()
    result = runner.invoke(app, ["safety", "tables", "--trial", "kim2009", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    by_term = pd.read_csv(tmp_path / "kim2009_by_term.csv").set_index("term")
    assert tuple(by_term.loc["headache", ["subjects", "events"]]) == (1, 1)
    assert len(list(tmp_path.glob("kim2009_*.csv"))) == 10
    result = runner.invoke(app, ["safety", "tables", "--trial", "nope", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "--trial" in result.output

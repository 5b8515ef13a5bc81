"""Visit schedule dates and windows, and the analysis data read back from the database."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import datetime, time, timedelta
from pathlib import Path

import pandas as pd
import pytest
from support.dosing import give_dose

from alstrial.domain.alsfrs_items import ITEMS
from alstrial.domain.protocol import bundled_protocol
from alstrial.web.assessments.models import AlsfrsAssessment
from alstrial.web.core.records import save_clinical
from alstrial.web.subjects.services import record_visit
from alstrial.web.trials.analysis_data import analysis_frames


def test_schedule_follows_the_protocol_from_day_zero(enrolled_subject):
    subject = enrolled_subject("seoul", days_ago=100)
    rows = bundled_protocol("kim2009").schedule()
    visits = list(subject.visits.order_by("sequence"))
    assert [v.code for v in visits] == [r.visit for r in rows]
    for visit, row in zip(visits, rows, strict=True):
        assert visit.target_date == subject.day_zero_date + timedelta(days=row.day)
        assert visit.earliest_date == subject.day_zero_date + timedelta(days=row.earliest_day)
        assert visit.latest_date == subject.day_zero_date + timedelta(days=row.latest_day)
        assert visit.forms == list(row.forms)
    # Screening on its target day: day 0 is the screening date minus the SCR day (-105).
    assert subject.day_zero_date == subject.screening_date + timedelta(days=105)


def test_out_of_window_visits_are_flagged(enrolled_subject, users):
    subject = enrolled_subject("seoul", days_ago=100)
    visit = subject.visits.get(code="LI0")  # window -5/+7 days around day -91
    record_visit(visit, users["coordinator.seoul"], visit_date=visit.latest_date)
    assert not visit.out_of_window
    record_visit(
        visit,
        users["coordinator.seoul"],
        visit_date=visit.latest_date + timedelta(days=1),
        reason="date corrected from the source",
    )
    assert visit.out_of_window


def test_analysis_frames_use_study_days(enrolled_subject, users, sites):
    subject = enrolled_subject("seoul", days_ago=150)
    user = users["coordinator.seoul"]
    items = {i.key: 4 for i in ITEMS if i.key != "cutting_with_gastrostomy"}
    expected = []
    for code, walking in (("LI0", 4), ("INJ1", 3)):
        visit = subject.visits.get(code=code)
        record_visit(visit, user, visit_date=visit.target_date)
        save_clinical(
            AlsfrsAssessment(subject=subject, visit=visit, **{**items, "walking": walking}), user
        )
        expected.append((visit.target_date - subject.day_zero_date).days)
    # treated: dose 1 given on the planned day 0 (a dose on another day would move day 0)
    on_day_zero = datetime.combine(subject.day_zero_date, time(10), tzinfo=subject.site.zone)
    give_dose(subject, users, sites, at=on_day_zero)
    subjects, visits = analysis_frames(subject.trial)
    assert subjects.to_dict("records") == [
        {
            "subject_id": subject.code,
            "arm": "treated",
            "age_years": 52,
            "sex": "M",
            "onset_site": "spinal",
            "onset_day": (subject.symptom_onset_date - subject.day_zero_date).days,
            "index_day": 0,
            "death_day": None,
            "tracheostomy_day": None,
            "permanent_ventilation_day": None,
        }
    ]
    assert visits["day"].tolist() == expected == [-91, 0]
    assert visits["alsfrs_r_total"].tolist() == [48, 47]


@pytest.mark.slow
@pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")),
    reason="the demo runs on its own SQLite file either way: the SQLite run covers it",
)
def test_demo_command_builds_a_kim_like_trial(tmp_path):
    database = tmp_path / "demo.sqlite3"
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    command = [sys.executable, "-m", "alstrial.cli", "demo", "--no-serve"]
    result = subprocess.run(
        [*command, "--db", str(database), "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "demo-password" in result.stdout
    with sqlite3.connect(database) as con:
        users = {r[0] for r in con.execute("SELECT username FROM auth_user")}
        assert {"admin", "coordinator.seoul", "statistician", "celllab.novara"} <= users
        statuses = dict(
            con.execute(
                "SELECT status, COUNT(*) FROM subjects_subject s JOIN trials_trial t "
                "ON s.trial_id = t.id WHERE t.slug = 'kim2009' GROUP BY status"
            ).fetchall()
        )
        assert statuses == {"enrolled": 24, "screening": 1, "screen_failed": 1}
        # Every stored total equals its item sum (checked here in SQL, not by our code).
        mismatched = con.execute(
            "SELECT COUNT(*) FROM assessments_alsfrsassessment WHERE total != "
            "speech + salivation + swallowing + handwriting"
            " + COALESCE(cutting_without_gastrostomy, 0) + COALESCE(cutting_with_gastrostomy, 0)"
            " + dressing_hygiene + turning_in_bed + walking + climbing_stairs + dyspnea"
            " + orthopnea + respiratory_insufficiency"
        ).fetchone()[0]
        assert mismatched == 0
        history = con.execute("SELECT COUNT(*) FROM assessments_historicalalsfrsassessment")
        assert history.fetchone()[0] > 0
    subjects = pd.read_csv(out / "data" / "subjects.csv")
    visits = pd.read_csv(out / "data" / "visits.csv")
    treated_done = subjects[subjects["arm"] == "treated"]
    assert len(treated_done) >= 22
    per_subject = visits.groupby("subject_id")["day"].agg(["min", "max", "count"])
    complete = per_subject[per_subject["max"] >= 84]
    assert len(complete) == 22  # Kim 2009: 22 treated subjects followed to month 3
    assert (complete["min"] <= -91).all()
    assert (out / "report.html").exists()
    assert Path(out / "registry").is_dir()


def test_analysis_download_is_per_site_and_role(client, users, enrolled_subject, sites):
    from django.urls import reverse

    seoul = enrolled_subject("seoul", days_ago=150)
    give_dose(seoul, users, sites)  # treated: dose 1 was given
    url = reverse("trials:analysis_csv", args=["kim2009", "subjects"])
    client.force_login(users["statistician"])
    body = client.get(url).content.decode()
    assert body.splitlines()[0].startswith("subject_id,arm,age_years")
    assert seoul.code in body
    client.force_login(users["coordinator.seoul"])
    assert client.get(url).status_code == 403
    client.force_login(users["coordinator.novara"])
    assert client.get(url).status_code == 403
    nosy = users["statistician"]
    nosy.site_memberships.filter(site__code="seoul").delete()
    client.force_login(nosy)
    assert client.get(url).status_code == 404  # kim2009 runs only at Seoul


def test_today_is_the_sites_date(enrolled_subject, users, sites):
    """At 23:30 UTC it is already tomorrow in Seoul: a visit dated tomorrow (UTC) is allowed
    there and refused at a UTC site."""
    from datetime import UTC, datetime
    from unittest import mock

    from alstrial.domain.errors import ValidationError

    sites["seoul"].time_zone = "Asia/Seoul"
    sites["seoul"].save()
    subject = enrolled_subject("seoul", days_ago=100)
    late = datetime(2030, 3, 1, 23, 30, tzinfo=UTC)
    visit = subject.visits.get(code="LI0")
    with mock.patch("django.utils.timezone.now", return_value=late):
        record_visit(visit, users["coordinator.seoul"], visit_date=late.date() + timedelta(1))
        assert visit.status == "done"
        sites["seoul"].time_zone = "UTC"
        sites["seoul"].save()
        subject.site.refresh_from_db()
        visit = subject.visits.get(code="LI1")
        with pytest.raises(ValidationError) as caught:
            record_visit(visit, users["coordinator.seoul"], visit_date=late.date() + timedelta(1))
        assert "visit_date" in caught.value.by_field()


def test_moving_day_zero_moves_the_windows(enrolled_subject, users):
    from alstrial.domain.errors import ValidationError
    from alstrial.web.subjects.services import set_day_zero

    subject = enrolled_subject("seoul", days_ago=100)
    planned = subject.day_zero_date
    fu2 = subject.visits.get(code="FU2")
    before = fu2.target_date
    with pytest.raises(ValidationError):
        set_day_zero(subject, users["coordinator.seoul"], planned + timedelta(3), reason="")
    set_day_zero(
        subject, users["coordinator.seoul"], planned + timedelta(3), reason="first dose on day 3"
    )
    fu2 = subject.visits.get(code="FU2")
    assert fu2.target_date == before + timedelta(days=3)


def test_demo_never_replaces_a_database_with_real_subjects(tmp_path):
    import typer

    from alstrial.commands.web import DEMO_MARKER_TABLE, _fresh_sqlite

    real = tmp_path / "real.sqlite3"
    with sqlite3.connect(real) as con:
        con.execute("CREATE TABLE subjects_subject (id INTEGER)")
        con.execute("INSERT INTO subjects_subject VALUES (1)")
    with pytest.raises(typer.Exit):
        _fresh_sqlite(real)
    assert real.exists()
    with sqlite3.connect(real) as con:
        con.execute(f"CREATE TABLE {DEMO_MARKER_TABLE} (made_at TEXT)")
    _fresh_sqlite(real)  # made by a demo: replaced
    assert not real.exists()

"""Exports of the demo trial (loaded with the demo loaders into the test database), read back
and compared with the database through the ORM, independently of the export code:

- SDTM (from the XPT files): QS totals equal the stored ALSFRS-R totals, EX doses equal the
  administrations, AE counts per subject equal the adverse events; no identifying data in any
  file; Dataset-JSON rows equal the CSV;
- ODM: valid against the ODM 1.3.2 XSD; replaying its transactions gives the current values;
  an edit's reason and user appear in an AuditRecord; a broken document fails validation;
- data dictionary: every exported field with its type and allowed values;
- statisticians' CSV: only the sites where the user holds an analysis role.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from django.utils import timezone

from alstrial.exchange.dataset_json import read_dataset_json
from alstrial.exchange.dictionary import dictionary_frame
from alstrial.exchange.odm import build_odm, replay, validate_odm
from alstrial.exchange.sdtm_write import write_sdtm
from alstrial.web.exchange.extract import trial_data
from alstrial.web.exchange.forms import FORM_MODELS, exported_fields, form_specs
from alstrial.web.exchange.statistician import write_statistician_csv

pytestmark = pytest.mark.slow

SECRET_NAME = "Kwon Zyxwvuts"
SECRET_NUMBER = "HN-99887766"


@pytest.fixture
def demo(db):
    from alstrial.web.core.demo import DemoContext, load_all_demo_data
    from alstrial.web.subjects.models import SubjectIdentity

    ctx = load_all_demo_data(DemoContext(today=timezone.localdate(), log=lambda text: None))
    subject = ctx.subjects["kim2009"][0]
    SubjectIdentity.objects.create(
        subject=subject, full_name=SECRET_NAME, hospital_number=SECRET_NUMBER
    )
    return ctx


def _code(usubjid: str, study: str) -> str:
    return usubjid.removeprefix(f"{study}-")


def test_sdtm_round_trip_against_the_database(demo, tmp_path):
    from alstrial.web.assessments.models import AlsfrsAssessment
    from alstrial.web.product.models import Administration
    from alstrial.web.safety.models import AdverseEvent

    trial = demo.trials["kim2009"]
    write_sdtm(trial_data(trial), tmp_path, xpt=True)
    qs, _ = pyreadstat.read_xport(tmp_path / "qs.xpt")
    totals = qs[qs["QSTESTCD"] == "ALSRTOT"]
    exported = {
        (_code(u, "KIM2009"), d): v
        for u, d, v in zip(totals["USUBJID"], totals["QSDTC"], totals["QSSTRESN"], strict=True)
    }
    stored = {
        (a.subject.code, a.visit.visit_date.isoformat()): float(a.total)
        for a in AlsfrsAssessment.objects.filter(subject__trial=trial).select_related(
            "subject", "visit"
        )
    }
    assert len(stored) > 150
    assert exported == stored

    ex, _ = pyreadstat.read_xport(tmp_path / "ex.xpt")
    doses = sorted(
        (_code(u, "KIM2009"), d, v)
        for u, d, v in zip(ex["USUBJID"], ex["EXDOSE"], ex["EXVAMT"], strict=True)
    )
    given = sorted(
        (a.subject.code, a.cells_given, a.volume_ml)
        for a in Administration.objects.filter(subject__trial=trial).select_related("subject")
    )
    assert doses == given
    assert set(ex["EXROUTE"]) <= {"INTRATHECAL"}

    ae, _ = pyreadstat.read_xport(tmp_path / "ae.xpt")
    per_subject = ae["USUBJID"].map(lambda u: _code(u, "KIM2009")).value_counts().to_dict()
    events = AdverseEvent.objects.filter(subject__trial=trial)
    expected = pd.Series([e.subject.code for e in events]).value_counts().to_dict()
    assert per_subject == expected

    from alstrial.web.assessments.models import ConcomitantMedication

    cm, _ = pyreadstat.read_xport(tmp_path / "cm.xpt")
    taken = {
        (m.subject.code, m.visit.visit_date.isoformat()): m.riluzole
        for m in ConcomitantMedication.objects.filter(subject__trial=trial).select_related(
            "subject", "visit"
        )
    }
    riluzole = cm[cm["CMTRT"] == "RILUZOLE"]
    assert {
        (_code(u, "KIM2009"), d): o == "Y"
        for u, d, o in zip(riluzole["USUBJID"], riluzole["CMDTC"], riluzole["CMOCCUR"], strict=True)
    } == taken

    dm, _ = pyreadstat.read_xport(tmp_path / "dm.xpt")
    assert len(dm) == trial.subjects.count()
    for path in tmp_path.iterdir():
        text = path.read_bytes()
        assert SECRET_NAME.encode() not in text, path.name
        assert SECRET_NUMBER.encode() not in text, path.name

    as_json = read_dataset_json(tmp_path / "qs.json")
    as_csv = pd.read_csv(tmp_path / "qs.csv", keep_default_na=False)
    assert as_json["QSSTRESN"].tolist() == as_csv["QSSTRESN"].astype(float).tolist()
    assert as_json["USUBJID"].tolist() == as_csv["USUBJID"].tolist()


def test_odm_valid_replayable_and_audited(demo, tmp_path):
    from alstrial.web.assessments.models import AlsfrsAssessment
    from alstrial.web.core.records import save_clinical

    trial = demo.trials["kim2009"]
    record = AlsfrsAssessment.objects.filter(subject__trial=trial).order_by("pk").first()
    record.speech = 3 if record.speech != 3 else 2
    save_clinical(record, demo.users["investigator.seoul"], "source document re-read")
    record.refresh_from_db()

    data = trial_data(trial, audit=True)
    document = build_odm(data, form_specs(trial.protocol))
    assert validate_odm(document) == []
    text = document.decode()
    assert "<ReasonForChange>source document re-read</ReasonForChange>" in text
    assert 'UserOID="USR.investigator_seoul"' in text
    assert SECRET_NAME not in text

    state = replay(document)
    names = [f.attname for f in exported_fields(AlsfrsAssessment)]
    checked = 0
    for a in AlsfrsAssessment.objects.filter(subject__trial=trial).select_related(
        "subject", "visit"
    ):
        key = (a.subject.code, "F.ALSFRS_R", f"SE.{a.visit.code}")
        expected = {
            f"IT.ALSFRS_R.{n.upper()}": str(getattr(a, n))
            for n in names
            if getattr(a, n) is not None
        }
        assert state[key] == expected, key
        checked += 1
    assert checked > 150
    from alstrial.web.subjects.models import Visit

    dated = Visit.objects.filter(subject__trial=trial, visit_date__isnull=False)
    for visit in dated.select_related("subject"):
        values = state[(visit.subject.code, "F.VISIT", f"SE.{visit.code}")]
        assert values["IT.VISIT.VISIT_DATE"] == visit.visit_date.isoformat()
        assert values["IT.VISIT.STATUS"] == visit.status
    assert dated.count() > 150

    broken = text.replace('ODMVersion="1.3.2"', 'ODMVersion="9.9"', 1)
    assert validate_odm(broken.encode()) != []


def test_dictionary_lists_every_exported_field(demo):
    trial = demo.trials["mazzini2003"]
    specs = form_specs(trial.protocol)
    frame = dictionary_frame(specs, trial.protocol)
    used = {form for visit in trial.protocol.visits() for form in visit.forms}
    for key, model in FORM_MODELS.items():
        if key not in used and key != "adverse_events":
            continue
        listed = set(frame.loc[frame["form"] == key, "field"])
        assert listed == {f.attname for f in exported_fields(model)}, key
    speech = frame.set_index(["form", "field"]).loc[("alsfrs_r", "speech")]
    assert speech["type"] == "integer"
    assert speech["allowed_values"].startswith("0=")
    assert speech["allowed_values"].count("=") == 5
    fvc = frame.set_index(["form", "field"]).loc[("fvc", "fvc_percent_predicted")]
    assert (fvc["range"], fvc["units"]) == ("0-200", "% of predicted")
    assert "narrative" not in set(frame["field"])


def test_statistician_csv_respects_sites(demo, tmp_path):
    from django.contrib.auth import get_user_model

    from alstrial.web.core.models import SiteMembership

    trial = demo.trials["kim2009"]
    seoul_only = write_statistician_csv(trial, tmp_path / "all", user=demo.users["statistician"])
    alsfrs = pd.read_csv(Path(tmp_path / "all" / "alsfrs_r.csv"))
    assert alsfrs["subject_id"].str.startswith("SEO-").all()
    assert len(alsfrs) > 150
    assert {p.name for p in seoul_only} >= {"subjects.csv", "visits.csv", "alsfrs_r.csv"}
    header = (tmp_path / "all" / "alsfrs_r.csv").read_text().splitlines()[0]
    assert "date" not in header
    novara_user = get_user_model().objects.create_user(username="statistician.novara.only")
    SiteMembership.objects.create(user=novara_user, site=demo.sites["novara"], role="statistician")
    write_statistician_csv(trial, tmp_path / "novara", user=novara_user)
    assert pd.read_csv(tmp_path / "novara" / "alsfrs_r.csv").empty
    assert pd.read_csv(tmp_path / "novara" / "subjects.csv").empty
    coordinator = demo.users["coordinator.seoul"]  # no analysis role
    write_statistician_csv(trial, tmp_path / "none", user=coordinator)
    assert pd.read_csv(tmp_path / "none" / "visits.csv").empty

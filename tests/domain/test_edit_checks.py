"""Each edit check on data where it must fire and where it must not (boundaries included)."""

from __future__ import annotations

from datetime import date, timedelta

from alstrial.domain.edit_checks import (
    AdverseEventOnset,
    Dose,
    EditCheck,
    Measurement,
    SubjectData,
    VisitDate,
    VisitWindow,
    run_checks,
)
from alstrial.domain.protocol import bundled_protocol

DAY0 = date(2026, 3, 2)
WINDOWS = (VisitWindow("BL", -7, 0), VisitWindow("M1", 23, 37), VisitWindow("M2", 53, 67))


def _day(n: int) -> date:
    return DAY0 + timedelta(days=n)


def _data(**fields) -> SubjectData:
    base = {
        "subject": 1,
        "consent_date": _day(-20),
        "day_zero": DAY0,
        "windows": WINDOWS,
        "dose_visits": ("BL", "M1"),
    }
    base.update(fields)
    return SubjectData(**base)


def test_alsfrs_drop_fires_above_the_threshold_only_between_consecutive_visits():
    check = EditCheck("drop", "alsfrs_drop", points=8)
    totals = (
        Measurement(11, "BL", _day(0), 40),
        Measurement(12, "M1", _day(30), 32),  # exactly 8: not more than 8
        Measurement(13, "M2", _day(60), 23),  # 9 below M1
    )
    # Given out of date order: the check sorts by date, not by the order records come in.
    findings = run_checks((check,), _data(alsfrs_totals=tuple(reversed(totals))))
    assert [(f.check, f.form, f.record, f.field) for f in findings] == [
        ("drop", "alsfrs_r", 13, "total")
    ]
    assert "fell 9 points from M1 (32) to M2 (23)" in findings[0].message
    rising = (Measurement(1, "BL", _day(0), 20), Measurement(2, "M1", _day(30), 45))
    assert run_checks((check,), _data(alsfrs_totals=rising)) == []


def test_visit_out_of_window_uses_each_visits_own_window_inclusive():
    check = EditCheck("win", "visit_out_of_window")
    visits = (
        VisitDate(1, "BL", _day(-7)),  # earliest allowed
        VisitDate(2, "M1", _day(37)),  # latest allowed
        VisitDate(3, "M2", _day(68)),  # one day late
        VisitDate(4, "UNSCHEDULED", _day(400)),  # not in the protocol: not checked
    )
    findings = run_checks((check,), _data(visits=visits))
    assert [(f.record, f.field) for f in findings] == [(3, "visit_date")]
    assert "study day 68" in findings[0].message
    assert "days 53 to 67" in findings[0].message
    # Before day 0 nothing can be placed in a window.
    assert run_checks((check,), _data(visits=visits, day_zero=None)) == []


def test_fvc_below_threshold_is_explained_by_a_nearby_respiratory_event_only():
    check = EditCheck("fvc", "fvc_below_without_respiratory_ae", percent=50, within_days=30)
    low = (Measurement(7, "M1", _day(30), 49.9),)
    assert [f.record for f in run_checks((check,), _data(fvc_percents=low))] == [7]
    at_threshold = (Measurement(8, "M1", _day(30), 50),)
    assert run_checks((check,), _data(fvc_percents=at_threshold)) == []
    cases = {
        # (term, body system, onset day): explained?
        ("respiratory failure", "respiratory", 0): True,  # 30 days before: inside
        ("pneumonia", "infections", 60): True,  # 30 days after: inside
        ("respiratory failure", "respiratory", -1): False,  # 31 days before
        ("fall", "injury", 30): False,  # not respiratory
        ("Pulmonary embolism", "Respiratory", 30): True,  # case does not matter
    }
    for (term, system, day), explained in cases.items():
        ae = (AdverseEventOnset(5, term, system, _day(day)),)
        findings = run_checks((check,), _data(fvc_percents=low, adverse_events=ae))
        assert (findings == []) is explained, (term, day)


def test_fvc_window_defaults_to_thirty_days():
    check = EditCheck("fvc", "fvc_below_without_respiratory_ae", percent=60)
    low = (Measurement(7, "M1", _day(30), 55),)
    near = (AdverseEventOnset(5, "pneumonia", "infections", _day(60)),)
    far = (AdverseEventOnset(5, "pneumonia", "infections", _day(61)),)
    assert run_checks((check,), _data(fvc_percents=low, adverse_events=near)) == []
    assert len(run_checks((check,), _data(fvc_percents=low, adverse_events=far))) == 1


def test_dose_out_of_window_checks_dose_k_against_the_visit_carrying_it():
    check = EditCheck("dose", "dose_out_of_window")
    doses = (Dose(21, 1, _day(0)), Dose(22, 2, _day(22)), Dose(23, 3, _day(60)))
    findings = run_checks((check,), _data(doses=doses))
    # Dose 2 belongs to M1 (days 23-37): day 22 is early. Dose 3 has no visit: not checked.
    assert [(f.record, f.form, f.field) for f in findings] == [
        (22, "administration", "administered_at")
    ]
    assert "dose 2 on study day 22" in findings[0].message
    assert run_checks((check,), _data(doses=doses, day_zero=None)) == []


def test_ae_onset_before_consent_fires_strictly_before_the_consent_date():
    check = EditCheck("ae", "ae_onset_before_consent")
    events = (
        AdverseEventOnset(31, "headache", "nervous system", _day(-21)),
        AdverseEventOnset(32, "fall", "injury", _day(-20)),  # on the consent date: fine
    )
    findings = run_checks((check,), _data(adverse_events=events))
    assert [(f.record, f.field) for f in findings] == [(31, "onset_date")]
    assert run_checks((check,), _data(adverse_events=events, consent_date=None)) == []


def test_shipped_protocols_declare_every_kind_of_check():
    for slug in ("kim2009", "mazzini2003", "msc_rct"):
        checks = bundled_protocol(slug).checks
        assert {c.kind for c in checks} == {
            "alsfrs_drop",
            "visit_out_of_window",
            "fvc_below_without_respiratory_ae",
            "dose_out_of_window",
            "ae_onset_before_consent",
        }
        drop = next(c for c in checks if c.kind == "alsfrs_drop")
        assert drop.points == 8

"""The shipped protocols load and give the schedule written in the papers (docs/domain.md, 'The
reference studies')."""

from __future__ import annotations

import dataclasses
import itertools
import json
from datetime import date
from pathlib import Path

import pytest

from alstrial.domain.errors import ValidationError
from alstrial.domain.protocol import (
    FORM_LABELS,
    FORMS,
    Protocol,
    ProtocolError,
    bundled_protocol,
    bundled_protocols,
    load_protocol,
    protocols_dir,
)

REPO = Path(__file__).resolve().parents[2]
KIM = REPO / "protocols" / "kim2009.toml"
MAZZINI = REPO / "protocols" / "mazzini2003.toml"

# Kim 2009 schedule, written out by hand from the paper and Oh 2015 (not from the loader):
# (visit, epoch, target day, earliest day, latest day, administration number, harvest)
KIM_SCHEDULE = [
    ("SCR", "SCREENING", -105, -119, -98, None, False),
    ("LI0", "RUN-IN", -91, -96, -84, None, False),
    ("LI1", "RUN-IN", -61, -68, -54, None, False),
    ("HARV1", "RUN-IN", -28, -31, -25, None, True),
    ("HARV2", "RUN-IN", -2, -3, -1, None, True),
    ("INJ1", "TREATMENT", 0, 0, 0, 1, False),
    ("INJ2", "TREATMENT", 26, 24, 28, 2, False),
    ("FU2", "FOLLOW-UP", 61, 54, 68, None, False),
    ("FU3", "FOLLOW-UP", 91, 84, 98, None, False),
]


@pytest.fixture(scope="module")
def kim() -> Protocol:
    return load_protocol(KIM)


@pytest.fixture(scope="module")
def mazzini() -> Protocol:
    return load_protocol(MAZZINI)


def test_kim_schedule_matches_the_paper(kim):
    got = [
        (r.visit, r.epoch, r.day, r.earliest_day, r.latest_day, r.administration, r.harvest)
        for r in kim.schedule()
    ]
    assert got == KIM_SCHEDULE


def test_kim_design(kim):
    assert kim.slug == "kim2009"
    assert kim.day_zero == "first_administration"
    assert kim.day_zero_visit == "INJ1"
    lead_in = [v for v in kim.schedule() if v.epoch == "RUN-IN" and "alsfrs_r" in v.forms]
    # Monthly ALSFRS-R over a 3-month lead-in: months -3, -2, -1, then baseline at INJ1.
    assert [v.day for v in lead_in] == [-91, -61, -28]
    assert kim.analysis.lead_in_months == 3
    assert "alsfrs_r" in kim.forms_at("INJ1")
    iv = kim.interventions
    assert iv.route.name == "intrathecal"
    assert iv.route.cdisc == "INTRATHECAL"
    assert iv.route.procedure == "lumbar_puncture"
    assert iv.administrations.count == 2
    assert kim.visit("INJ2").day - kim.visit("INJ1").day == iv.administrations.interval_days
    # Follow-up reaches 3 months (91 days) after the first injection and the analysis covers it.
    last = kim.schedule()[-1]
    assert last.epoch == "FOLLOW-UP"
    assert last.day == 91
    assert kim.analysis.follow_up_days >= last.latest_day
    assert kim.analysis.control == "matched_external"
    assert set(kim.analysis.matched_on) == {"age", "disease_duration"}
    assert kim.analysis.primary_outcome == "alsfrs_r"


def test_kim_dose_is_oh_2015_per_kg(kim):
    dose = kim.interventions.dose
    assert (dose.rule, dose.target, dose.unit) == ("per_kg", 1.0e6, "cells/kg")
    low, target, high = dose.cells_range(weight_kg=65.0)
    assert target == pytest.approx(65.0e6)
    assert low == pytest.approx(0.9e6 * 65)
    assert high == pytest.approx(1.1e6 * 65)
    with pytest.raises(ValueError, match="body weight"):
        dose.cells_range()
    # Release criteria default to the dose range, in the dose's unit.
    assert (kim.release.viable_count_min, kim.release.viable_count_max) == (0.9e6, 1.1e6)
    assert kim.release.viable_count_unit == "cells/kg"


def test_kim_expected_events_are_those_of_lumbar_puncture_and_harvest(kim):
    assert set(kim.safety.expected_terms("lumbar_puncture")) == {
        "headache",
        "low back pain",
        "myalgia",
        "fever",
        "meningism",
    }
    assert kim.safety.expected_terms("bone_marrow_aspiration") == (
        "bone marrow aspiration site pain",
    )
    assert kim.safety.expected_terms("spinal_surgery") == ()
    assert kim.interventions.causes() == (
        "cell_product",
        "bone_marrow_aspiration",
        "lumbar_puncture",
    )
    death_rules = [r for r in kim.safety.stopping_rules if r.event == "related_death"]
    assert [(r.subjects, r.action) for r in death_rules] == [(1, "halt_trial")]


def test_mazzini_design(mazzini):
    iv = mazzini.interventions
    assert iv.harvest.site == "posterior iliac crest"
    assert "Pittenger" in iv.product.expansion_method
    assert (iv.vehicle.name, iv.vehicle.volume_ml) == ("autologous cerebrospinal fluid", 2.0)
    assert iv.route.name == "intraspinal"
    assert "thoracic" in iv.route.level
    assert iv.route.pump_rate_ul_per_min > 0
    assert iv.administrations.count == 1
    assert iv.administrations.interval_days is None
    assert mazzini.analysis.primary_outcome == "safety"
    assert mazzini.analysis.control == "none"
    assert not any(p.epoch == "RUN-IN" for p in mazzini.phases)
    schedule = mazzini.schedule()
    mri_days = [r.day for r in schedule if "mri_spine" in r.forms]
    # MRI before surgery and repeatedly after it, over at least a year.
    assert mri_days[0] < 0
    assert max(mri_days) >= 365
    assert [r.visit for r in schedule if r.administration] == ["IMPL"]
    assert mazzini.visit("IMPL").day == 0
    assert "spinal_surgery" in iv.causes()
    assert "lumbar_puncture" not in iv.causes()
    assert set(mazzini.safety.expected_terms("spinal_surgery")) == {
        "intercostal pain",
        "leg dysesthesia",
    }


@pytest.mark.parametrize("path", [KIM, MAZZINI], ids=["kim2009", "mazzini2003"])
def test_shipped_schedule_invariants(path):
    """Checked independently of the loader's own checks: order, windows, forms, day 0."""
    protocol = load_protocol(path)
    rows = protocol.schedule()
    for earlier, later in itertools.pairwise(rows):
        assert earlier.day < later.day
        assert earlier.latest_day < later.earliest_day
    for row in rows:
        assert row.earliest_day <= row.day <= row.latest_day
        assert set(row.forms) <= set(FORMS)
        assert ("administration" in row.forms) == (row.administration is not None)
        assert ("harvest" in row.forms) == row.harvest
    assert next(r.day for r in rows if r.visit == protocol.day_zero_visit) == 0
    epochs = [r.epoch for r in rows]
    order = ["SCREENING", "RUN-IN", "TREATMENT", "FOLLOW-UP"]
    assert epochs == sorted(epochs, key=order.index)
    markers = {m.marker: (m.limit, m.percent) for m in protocol.release.markers}
    for marker in ("CD105", "CD73", "CD90"):
        assert markers[marker][0] == "min"
        assert markers[marker][1] >= 95
    for marker in ("CD45", "CD34", "CD14_or_CD11b", "CD79a_or_CD19", "HLA-DR"):
        assert markers[marker][0] == "max"
        assert markers[marker][1] <= 2
    assert protocol.release.endotoxin_max_eu_per_kg <= 0.2


def test_every_form_has_a_label():
    assert list(FORM_LABELS) == list(FORMS)
    assert all(label.strip() for label in FORM_LABELS.values())


def test_protocol_is_frozen_and_serialisable(kim):
    with pytest.raises(dataclasses.FrozenInstanceError):
        kim.slug = "other"  # type: ignore[misc]
    data = json.loads(json.dumps(kim.to_dict()))
    assert data["slug"] == "kim2009"
    assert data["interventions"]["administrations"]["visits"] == ["INJ1", "INJ2"]
    row = kim.schedule()[0].to_dict()
    assert set(row) == {
        "visit",
        "name",
        "phase",
        "epoch",
        "day",
        "earliest_day",
        "latest_day",
        "forms",
        "administration",
        "harvest",
    }


def test_visit_and_phase_lookup(kim):
    assert kim.phase_of("HARV1").epoch == "RUN-IN"
    assert kim.visit("FU3").name.startswith("Month 3")
    with pytest.raises(KeyError):
        kim.visit("NOPE")
    with pytest.raises(KeyError):
        kim.phase_of("NOPE")


def test_visit_on_day(kim):
    assert kim.visit_on_day(-68).visit == "LI1"
    assert kim.visit_on_day(-54).visit == "LI1"
    assert kim.visit_on_day(-53) is None  # between LI1 (to -54) and HARV1 (from -31)
    assert kim.visit_on_day(0).visit == "INJ1"
    assert kim.visit_on_day(98).visit == "FU3"
    assert kim.visit_on_day(99) is None


def test_calendar_from_a_day_zero_date(kim):
    calendar = {row.visit: row for row in kim.calendar(date(2026, 3, 2))}
    # Hand-counted: 2026-03-02 minus 28 days is 2026-02-02; plus 26 days is 2026-03-28.
    assert calendar["HARV1"].target_date == date(2026, 2, 2)
    assert calendar["HARV1"].earliest_date == date(2026, 1, 30)
    assert calendar["INJ2"].target_date == date(2026, 3, 28)
    assert (calendar["INJ2"].earliest_date, calendar["INJ2"].latest_date) == (
        date(2026, 3, 26),
        date(2026, 3, 30),
    )
    assert calendar["INJ1"].target_date == date(2026, 3, 2)
    assert calendar["FU3"].day == 91


def test_bundled_protocols_finds_both():
    found = bundled_protocols()
    assert {"kim2009", "mazzini2003"} <= set(found)
    assert bundled_protocol("kim2009").source.endswith("kim2009.toml")
    assert protocols_dir() == REPO / "protocols"


def test_bundled_unknown_slug_names_the_known_ones():
    with pytest.raises(KeyError, match="kim2009"):
        bundled_protocol("nosuch")


def test_env_var_overrides_the_protocols_directory(tmp_path, monkeypatch):
    text = KIM.read_text().replace('slug = "kim2009"', 'slug = "site-copy"')
    (tmp_path / "copy.toml").write_text(text)
    monkeypatch.setenv("ALSTRIAL_PROTOCOLS", str(tmp_path))
    assert protocols_dir() == tmp_path
    assert list(bundled_protocols()) == ["site-copy"]
    # Found by slug even when the file name differs.
    assert bundled_protocol("site-copy").slug == "site-copy"


def test_duplicate_slugs_in_the_directory_are_an_error(tmp_path, monkeypatch):
    (tmp_path / "a.toml").write_text(KIM.read_text())
    (tmp_path / "b.toml").write_text(KIM.read_text())
    monkeypatch.setenv("ALSTRIAL_PROTOCOLS", str(tmp_path))
    with pytest.raises(ProtocolError) as info:
        bundled_protocols()
    assert info.value.errors[0].field == "trial.slug"
    assert "a.toml" in str(info.value)


def test_protocol_error_is_a_validation_error():
    assert issubclass(ProtocolError, ValidationError)

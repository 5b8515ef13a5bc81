"""The whole efficacy analysis against an independent implementation in R
(tests/reference/efficacy_r.R: per-subject lm() slopes, t.test, wilcox.test, lme4), run on a
Kim-like trial with deaths, a tracheostomy and missed visits (tests/reference/efficacy/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alstrial.analysis.data import read_analysis_data
from alstrial.analysis.efficacy import analyse

REFERENCE = Path(__file__).parents[1] / "reference"
R = json.loads((REFERENCE / "efficacy_r.json").read_text())


@pytest.fixture(scope="module")
def document():
    data = read_analysis_data(
        REFERENCE / "efficacy" / "subjects.csv", REFERENCE / "efficacy" / "visits.csv"
    )
    return json.loads(json.dumps(analyse(data).to_dict()))


def _close(ours, theirs, tol=1e-9):
    if theirs is None:
        return ours is None
    return ours == pytest.approx(theirs, rel=tol, abs=1e-12)


def test_per_subject_values(document):
    ours = {s["subject_id"]: s for s in document["subjects"]}
    assert set(ours) == {s["subject_id"] for s in R["subjects"]}
    for expected in R["subjects"]:
        got = ours[expected["subject_id"]]
        for key in ("n_lead_in", "n_follow_up", "change"):
            assert _close(got[key], expected[key]), (expected["subject_id"], key)
        for key in ("lead_in_slope", "follow_up_slope"):
            # R's lm() and our closed form agree to rounding (a flat line is 0 or 1e-15)
            theirs, mine = expected[key], got[key]
            assert (theirs is None) == (mine is None), (expected["subject_id"], key)
            if theirs is not None:
                assert mine == pytest.approx(theirs, abs=1e-12), (expected["subject_id"], key)


@pytest.mark.parametrize("arm", ["treated", "control"])
def test_arm_summaries(document, arm):
    for key, expected in R["arms"][arm].items():
        assert _close(document["arms"][arm][key], expected), key


@pytest.mark.parametrize("outcome", ["change", "follow_up_slope"])
def test_between_arms(document, outcome):
    got = document["between_arms"][outcome]
    for key in ("difference", "welch_t_p", "mann_whitney_p"):
        assert _close(got[key], R["between_arms"][outcome][key]), key
    assert got["difference_ci"] == pytest.approx(R["between_arms"][outcome]["difference_ci"])


def test_mixed_model(document):
    got, expected = document["mixed_model"]["treated"], R["mixed_model"]["treated"]
    assert got["slope_change"] == pytest.approx(expected["slope_change"], abs=1e-5)
    assert got["slope_change_se"] == pytest.approx(expected["slope_change_se"], rel=1e-4)
    assert got["slope_change_p"] == pytest.approx(expected["slope_change_p"], rel=1e-3)
    assert got["singular"] == expected["singular"]


def test_reference_exercises_the_exclusion_rules(document):
    counts = document["exclusions"]["counts"]
    assert counts["died_during_follow_up"] > 0
    assert counts["series_ended"] == 1

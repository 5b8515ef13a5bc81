"""Design files: the shipped designs, the checks on a bad file, derived designs."""

from __future__ import annotations

import math

import pytest

from alstrial.domain.errors import ValidationError
from alstrial.simulation.designs import list_designs, load_design

KIM_FILE = """
name = "mini"
[arms]
treated = 10
[schedule]
lead_in_visits = [-3, 0]
follow_up_visits = [1, 2, 3]
[analysis]
primary = "paired_slope_t"
"""


def test_the_four_designs_of_the_issue_are_shipped():
    assert set(list_designs()) >= {
        "kim2009",
        "randomized_parallel",
        "randomized_lead_in",
        "external_control",
    }
    for name in list_designs():
        design = load_design(name)
        assert design.name == name


def test_kim2009_follows_the_paper():
    # Kim et al. 2009 (docs/domain.md, 'The reference studies'): 22 treated, 3-month lead-in, 2
    # injections one month apart, follow-up to 3 months after the first, lead-in vs follow-up slope,
    # matched controls.
    kim = load_design("kim2009")
    assert kim.n_treated == 22
    assert kim.lead_in_months == 3
    assert kim.doses == (0, 1)
    assert kim.follow_up_months == 3
    assert kim.primary == "paired_slope_t"
    assert kim.control_source == "registry"
    assert "welch_change" in kim.secondary
    assert set(kim.matching.covariates) == {"age_years", "months_since_onset"}


def test_a_design_can_be_loaded_from_a_path(tmp_path):
    path = tmp_path / "mini.toml"
    path.write_text(KIM_FILE)
    design = load_design(path)
    assert design.n_control == 0
    assert design.enrolment.min_lead_in_decline == -math.inf
    assert design.alpha == 0.05


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("treated = 10", 'treated = "ten"', "arms.treated"),
        ("lead_in_visits = [-3, 0]", "lead_in_visits = [-3, -1]", "schedule.lead_in_visits"),
        ("lead_in_visits = [-3, 0]", "lead_in_visits = [0, -3]", "schedule.lead_in_visits"),
        ("follow_up_visits = [1, 2, 3]", "follow_up_visits = [0, 2]", "schedule.follow_up_visits"),
        ('primary = "paired_slope_t"', 'primary = "welch_slope"', "analysis.primary"),
        ('primary = "paired_slope_t"', 'primary = "t_test"', "analysis.primary"),
    ],
)
def test_a_bad_design_names_the_file_and_key(tmp_path, old, new, key):
    path = tmp_path / "bad.toml"
    path.write_text(KIM_FILE.replace(old, new))
    with pytest.raises(ValidationError) as caught:
        load_design(path)
    assert str(path) in str(caught.value)
    assert key in caught.value.by_field()


def test_enrolment_on_lead_in_decline_needs_a_lead_in(tmp_path):
    path = tmp_path / "bad.toml"
    text = KIM_FILE.replace("[-3, 0]", "[0]").replace('"paired_slope_t"', '"welch_slope"')
    text = text.replace("treated = 10", 'treated = 10\ncontrol = 10\ncontrol_source = "randomized"')
    path.write_text(text + "[enrolment]\nmin_lead_in_decline = 0.5\n")
    with pytest.raises(ValidationError) as caught:
        load_design(path)
    assert "enrolment.min_lead_in_decline" in caught.value.by_field()


def test_missing_and_unreadable_designs_are_clear_errors(tmp_path):
    with pytest.raises(ValidationError, match="no design file 'nonesuch'"):
        load_design("nonesuch")
    path = tmp_path / "broken.toml"
    path.write_text("name = \n")
    with pytest.raises(ValidationError, match="not valid TOML"):
        load_design(path)


def test_with_changes_sets_both_arms_and_stretches_follow_up():
    parallel = load_design("randomized_parallel")
    bigger = parallel.with_changes(n=45)
    assert (bigger.n_treated, bigger.n_control) == (45, 45)
    assert parallel.with_changes(follow_up_months=9).follow_up_visits == tuple(range(1, 10))
    assert parallel.with_changes(follow_up_months=4.5).follow_up_visits == (1, 2, 3, 4, 4.5)
    assert parallel.with_changes(follow_up_months=3).follow_up_visits == (1, 2, 3)
    kim = load_design("kim2009")
    single = kim.with_changes(n=44)
    assert (single.n_treated, single.n_control) == (44, 44)
    assert single.matching.pool == 2 * kim.matching.pool  # as many candidates per control
    with pytest.raises(ValidationError):
        parallel.with_changes(n=1)


def test_registry_controls_cannot_outnumber_the_treated():
    with pytest.raises(ValidationError) as caught:
        load_design("kim2009").with_changes(n_control=30)
    assert "arms.control" in caught.value.by_field()


def test_with_changes_takes_nested_tables_and_names_unknown_fields():
    design = load_design("randomized_lead_in")
    wider = design.with_changes(enrolment={"min_lead_in_decline": 0.3})
    assert wider.enrolment.min_lead_in_decline == 0.3
    assert wider.enrolment.max_lead_in_decline == design.enrolment.max_lead_in_decline
    with pytest.raises(ValidationError) as caught:
        design.with_changes(enrolment={"min_decline": 0.3}, sample_size=3)
    assert set(caught.value.by_field()) == {"enrolment.min_decline", "sample_size"}
    with pytest.raises(ValidationError) as caught:
        design.with_changes(enrolment={"min_lead_in_decline": 2.0})  # above the maximum
    assert "enrolment.min_lead_in_decline" in caught.value.by_field()

"""The design simulator page: who may use it, its numbers against
:func:`alstrial.simulation.power.power_curve` and Edland's formula called directly, the design's
own validation errors next to the fields, the request's cost bounds, HTMX fragments."""

from __future__ import annotations

import html
import math
import re

import pandas as pd
import pytest
from django.urls import reverse

from alstrial.simulation.designs import load_design
from alstrial.simulation.edland import edland_power
from alstrial.simulation.engines import Simulation
from alstrial.simulation.natural_history import NaturalHistory
from alstrial.simulation.power import CURVE_COLUMNS, power_curve

URL = "/design/"

#: A valid request: randomized_parallel with 20 per arm, 4 months, the linear model (Edland's
#: closed form applies once the design's own dropout is set to 0), a curve over the effect.
VALID = {
    "design": "randomized_parallel",
    "model": "linear",
    "over": "effect",
    "values": "0,0.5,1",
    "effect": "0",
    "n": "20",
    "follow_up_months": "4",
    "min_lead_in_decline": "",
    "max_lead_in_decline": "",
    "max_months_since_onset": "36",
    "dropout_per_month": "0",
    "effect_delay_months": "0",
    "alpha": "0.05",
    "trials": "150",
    "seed": "7",
}


def _page_rows(text: str) -> list[dict[str, str]]:
    """``{column: exact value}`` per row of the curve table (from ``data-value``)."""
    table = text.split('id="curve-table"', 1)[1].split("</table>", 1)[0]
    rows = table.split("<tr data-point=")[1:]
    return [
        {
            **dict(re.findall(r'data-col="(\w+)" data-value="([^"]*)"', row)),
            "trials": re.search(r'data-trials="(\d+)"', row).group(1),
        }
        for row in rows
    ]


def _field_errors(text: str, field: str) -> list[str]:
    """The error messages shown inside the field's own block (``includes/field.html``)."""
    block = text.split(f'id="field-{field}"', 1)[1].split('<div class="field', 1)[0]
    return [html.unescape(m) for m in re.findall(r"<li>(.*?)</li>", block, flags=re.S)]


def _login(client, users, name):
    client.force_login(users[name])
    return client


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("statistician", 200),
        ("investigator.seoul", 200),
        ("admin", 200),
        ("coordinator.seoul", 403),
        ("celllab.seoul", 403),
        ("safety.monitor", 403),
    ],
)
def test_roles(client, users, username, status):
    _login(client, users, username)
    assert client.get(URL).status_code == status
    assert client.post(URL, {**VALID, "values": "0", "trials": "20"}).status_code == status


def test_anonymous_is_sent_to_log_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_page_numbers_equal_power_curve_called_directly(client, users):
    _login(client, users, "statistician")
    response = client.post(URL, VALID)
    assert response.status_code == 200
    text = response.content.decode()
    shown = _page_rows(text)

    design = load_design("randomized_parallel").with_changes(
        n=20, follow_up_months=4.0, dropout_per_month=0.0
    )
    model = NaturalHistory.linear()
    curve = power_curve(design, "effect", [0.0, 0.5, 1.0], trials=150, seed=7, model=model)
    assert len(shown) == len(curve) == 3
    for row, expected in zip(shown, curve.to_dict("records"), strict=True):
        for column in CURVE_COLUMNS:
            if column == "over":
                continue
            value = float(row[column])
            assert value == pytest.approx(expected[column], rel=0, abs=0, nan_ok=True), column
        p, n = expected["rejection_rate"], expected["trials"]
        assert float(row["mc_se"]) == pytest.approx(math.sqrt(p * (1 - p) / n), rel=1e-15)
        # Edland's closed form applies here: the page shows the formula's value.
        assert float(row["edland_power"]) == pytest.approx(
            edland_power(design, model, expected["effect"]), rel=1e-12
        )
    # The rounded numbers shown are those values, and power rises with the effect.
    assert f"{curve['rejection_rate'].iloc[2]:.3f}" in text
    assert curve["rejection_rate"].iloc[2] > curve["rejection_rate"].iloc[0]
    assert "Monte Carlo error" in text
    assert "data:image/png;base64," in text
    assert "Edland's closed form</strong> (normal approximation, two-sided) applies:" in text


def test_curve_over_n_for_a_registry_design_matches_and_explains_edland(client, users):
    _login(client, users, "investigator.seoul")
    data = {
        **VALID,
        "design": "kim2009",
        "model": "literature",
        "over": "n",
        "values": "10,20",
        "effect": "0.4",
        "n": "22",
        "follow_up_months": "3",
        "min_lead_in_decline": "0.3",
        "max_months_since_onset": "",
        "trials": "100",
        "seed": "3",
    }
    text = client.post(URL, data).content.decode()
    shown = _page_rows(text)
    curve = power_curve("kim2009", "n", [10, 20], trials=100, seed=3, effect=0.4)
    assert [float(r["rejection_rate"]) for r in shown] == curve["rejection_rate"].tolist()
    assert [int(r["n_control"]) for r in shown] == [10, 20]
    assert all(r["edland_power"] == "nan" for r in shown)
    assert text.count('data-col="edland_power" data-value="nan">–</td>') == 2  # shown as a dash
    assert "controls are matched from a registry" in text  # why Edland does not apply


def test_unchanged_defaults_are_the_design_file(client, users):
    """The form starts from the design's own values: posting them gives the design itself."""
    _login(client, users, "statistician")
    form_page = client.get(URL, {"design": "randomized_lead_in"}).content.decode()
    assert 'value="0.515"' in form_page
    assert 'value="1.545"' in form_page
    design = load_design("randomized_lead_in")
    assert f'name="n" value="{design.n_treated}"' in form_page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"n": "1"}, "n", "arms.treated must be at least 2"),
        ({"min_lead_in_decline": "0.5"}, "min_lead_in_decline", "needs at least 2 lead-in visits"),
        ({"dropout_per_month": "-0.1"}, "dropout_per_month", "dropout.per_month must be >= 0"),
        ({"alpha": "1.5"}, "alpha", "analysis.alpha must be between 0 and 1"),
        ({"follow_up_months": "0"}, "follow_up_months", "must be > 0 months"),
        ({"effect_delay_months": "-1"}, "effect_delay_months", "delay_months must be >= 0"),
        ({"over": "n", "values": "1,20"}, "values", "point 1: design: arms.treated must be"),
        ({"values": "0,0.1,0.2,0.3,0.4", "trials": "2000"}, "trials", "exceeds 8,000 trials"),
        ({"trials": "2001"}, "trials", "less than or equal to 2000"),
        ({"values": "a,b"}, "values", "write numbers separated by commas"),
        ({"over": "n", "values": "10,500"}, "values", "at most 200 subjects per arm"),
        ({"values": "0,10"}, "values", "effects are at most 5 points/month"),
        ({"over": "follow_up", "values": "6,36"}, "values", "at most 24 months of follow-up"),
        ({"effect": "7"}, "effect", "less than or equal to 5"),
    ],
)
def test_bad_parameter_shows_its_error_next_to_the_field(client, users, changes, field, message):
    _login(client, users, "statistician")
    response = client.post(URL, {**VALID, **changes})
    assert response.status_code == 200
    text = response.content.decode()
    errors = _field_errors(text, field)
    assert any(message in e for e in errors), errors
    assert 'id="curve-table"' not in text  # nothing simulated


def test_entry_rule_bounds_in_the_wrong_order_are_refused(client, users):
    _login(client, users, "statistician")
    data = {**VALID, "design": "kim2009", "min_lead_in_decline": "1.0"}
    data.update(max_lead_in_decline="0.5", max_months_since_onset="", follow_up_months="3")
    errors = _field_errors(client.post(URL, data).content.decode(), "min_lead_in_decline")
    assert any("must not exceed max_lead_in_decline" in e for e in errors)


def test_htmx_gets_the_fragment(client, users):
    _login(client, users, "admin")
    response = client.post(URL, {**VALID, "n": "1"}, HTTP_HX_REQUEST="true")
    text = response.content.decode()
    assert text.lstrip().startswith('<div id="simulator"')
    assert "<html" not in text
    assert _field_errors(text, "n")
    switched = client.get(URL, {"design": "external_control"}, HTTP_HX_REQUEST="true")
    assert '<option value="external_control" selected>' in switched.content.decode()


@pytest.mark.parametrize(
    ("over", "expected"),
    [("n", "15,30,45,60"), ("effect", "0,0.25,0.5,0.75,1"), ("follow_up", "6,12,18,24")],
)
def test_choosing_the_curve_presets_its_points(client, users, over, expected):
    _login(client, users, "statistician")
    response = client.get(
        "/design/curve-points/",
        {"over": over, "n": "30", "follow_up_months": "6"},
        HTTP_HX_REQUEST="true",
    )
    text = response.content.decode()
    assert text.startswith('<div class="field" id="field-values">')
    assert f'value="{expected}"' in text


def test_curve_points_need_a_simulator_role(client, users):
    _login(client, users, "coordinator.seoul")
    assert client.get("/design/curve-points/", {"over": "n"}).status_code == 403


def test_trials_that_ran_short_are_counted_and_flagged(client, users):
    """A strict entry rule: many trials cannot fill their places; the page says how many."""
    _login(client, users, "statistician")
    data = {**VALID, "design": "kim2009", "model": "literature", "values": "0", "n": "22"}
    data.update(follow_up_months="3", min_lead_in_decline="1.5", max_months_since_onset="")
    data.update(trials="300", seed="1")
    text = client.post(URL, data).content.decode()
    (row,) = _page_rows(text)
    design = load_design("kim2009").with_changes(enrolment={"min_lead_in_decline": 1.5})
    first = Simulation(design, effect=0.0).run(250, 1)
    assert first.short_trials > 0
    assert int(row["short_trials"]) == first.short_trials
    assert f">{first.short_trials} / {first.primary.trials_without_test}</td>" in text
    assert '<span data-testid="checked-trials">250</span>' in text
    assert 'data-testid="short-trials"' in text
    # They are the curve's own first trials: a run's first 250 trials do not depend on its length.
    whole = Simulation(design, effect=0.0).run(300, 1).per_trial().iloc[:250]
    pd.testing.assert_frame_equal(first.per_trial(), whole)


def test_full_trials_raise_no_flag(client, users):
    _login(client, users, "statistician")
    data = {**VALID, "max_months_since_onset": "", "values": "0.5", "trials": "100"}
    text = client.post(URL, data).content.decode()
    (row,) = _page_rows(text)
    assert row["short_trials"] == "0"
    assert 'data-testid="short-trials"' not in text


def test_the_mixed_model_can_decide_and_the_page_runs_it(client, users):
    """The page offers the model-based analyses; its numbers are power_curve's for the design
    with that primary analysis (the batched REML fit in every simulated trial)."""
    _login(client, users, "statistician")
    form_page = client.get(URL, {"design": "randomized_lead_in"}).content.decode()
    assert 'value="mixed_model_slope_change"' in form_page
    data = {
        **VALID,
        "design": "randomized_lead_in",
        "primary": "mixed_model_slope_change",
        "values": "0,0.5",
        "follow_up_months": "6",
        "max_months_since_onset": "",
        "min_lead_in_decline": "0.515",
        "max_lead_in_decline": "1.545",
        "trials": "100",
    }
    text = client.post(URL, data).content.decode()
    shown = _page_rows(text)
    design = load_design("randomized_lead_in").with_changes(
        primary="mixed_model_slope_change",
        secondary=("welch_slope", "paired_slope_t"),
        n=20,
        dropout_per_month=0.0,
    )
    curve = power_curve(
        design, "effect", [0.0, 0.5], trials=100, seed=7, model=NaturalHistory.linear()
    )
    assert [float(r["rejection_rate"]) for r in shown] == curve["rejection_rate"].tolist()
    assert "<code>mixed_model_slope_change</code>" in text


def test_a_primary_analysis_the_design_cannot_run_is_refused_next_to_its_field(client, users):
    _login(client, users, "statistician")
    response = client.post(URL, {**VALID, "primary": "mixed_model_slope_change"})
    errors = _field_errors(response.content.decode(), "primary")
    assert any("needs at least 2 lead-in visits" in e for e in errors), errors


def test_multi_arm_and_procova_keys_are_offered_and_checked(client, users):
    _login(client, users, "statistician")
    form_page = client.get(URL, {"design": "dose_ranging"}).content.decode()
    assert 'name="n" value="20"' in form_page  # the control arm; the dose arms keep 1:2:2
    assert 'value="dunnett" selected' in form_page
    response = client.post(URL, {**VALID, "prognostic_correlation": "1.0"})
    errors = _field_errors(response.content.decode(), "prognostic_correlation")
    assert any("must be >= 0 and < 1" in e for e in errors), errors
    response = client.post(URL, {**VALID, "multiplicity": "holm"})
    errors = _field_errors(response.content.decode(), "multiplicity")
    assert any("multi-arm" in e for e in errors), errors

"""The design simulator in a real browser: switching design and curve through HTMX presets the
form, a bad value shows its error in place, and a simulation swaps in the table and the plot
whose numbers equal ``power_curve``'s. Screenshot in test-artifacts/design-simulator.png."""

from __future__ import annotations

from pathlib import Path

import pytest

from alstrial.simulation.designs import load_design
from alstrial.simulation.natural_history import NaturalHistory
from alstrial.simulation.power import power_curve

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_statistician_simulates_a_power_curve(browser_page, live_server, make_user):
    page = browser_page
    make_user("stat", {"seoul": ["statistician"]}, password="a-long-test-password")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "stat")
    page.fill("#id_password", "a-long-test-password")
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    page.click("header >> text=Design simulator")
    page.wait_for_selector("#id_design")
    page.wait_for_load_state("load")  # HTMX (a deferred script) is ready

    page.select_option("#id_design", "randomized_parallel")
    page.wait_for_function("document.querySelector('#id_n').value === '30'")
    assert page.input_value("#id_max_months_since_onset") == "36.0"

    page.fill("#id_n", "1")
    page.click("#simulator button[type=submit]")
    page.wait_for_selector("#field-n .errorlist")
    assert "arms.treated must be at least 2" in page.inner_text("#field-n")

    page.fill("#id_n", "20")
    page.select_option("#id_model", "linear")
    page.select_option("#id_over", "effect")
    page.wait_for_function("document.querySelector('#id_values').value === '0,0.25,0.5,0.75,1'")
    page.fill("#id_values", "0,0.6")
    page.fill("#id_dropout_per_month", "0")
    page.fill("#id_trials", "200")
    page.fill("#id_seed", "11")
    page.click("#simulator button[type=submit]")
    page.wait_for_selector("#curve-table")
    shown = page.eval_on_selector_all(
        "#curve-table td[data-col=rejection_rate]", "cells => cells.map(c => c.dataset.value)"
    )
    design = load_design("randomized_parallel").with_changes(n=20, dropout_per_month=0.0)
    curve = power_curve(
        design, "effect", [0, 0.6], trials=200, seed=11, model=NaturalHistory.linear()
    )
    assert [float(v) for v in shown] == curve["rejection_rate"].tolist()
    assert page.is_visible("img.plot")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "design-simulator.png"), full_page=True)

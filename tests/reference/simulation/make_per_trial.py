"""Write the per-trial results the simulation tests hold the vectorized engine to.

    .venv/bin/python tests/reference/simulation/make_per_trial.py

Run once, with the vectorized engine as it was before the speed-ups of issue 7 (commit 3c644f3;
the CSVs were committed in cb012ec); the outputs are checked in and must never be regenerated
to make a test pass: ``tests/simulation/test_per_trial_reference.py`` asserts that today's
engine gives every number bit for bit (the engines' own agreement is tested separately).

- ``kim2009_seed0.csv``: ``alstrial simulate kim2009 --trials 600 --seed 0 --per-trial FILE``
  (three chunks, the last one partial), the public ``trial, estimate, p_value, reject`` format.
- ``<case>.csv``: every analysis of the design (``<analysis>_estimate``, ``<analysis>_p_value``)
  plus ``n_enrolled`` and ``n_controls`` per trial, for the cases of :data:`CASES`, chosen so
  that every path of the engine runs: registry matching on two and three covariates,
  randomized allocation, design dropout, a delayed effect, rank tests, short trials.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from alstrial.simulation.designs import load_design
from alstrial.simulation.engines import Simulation

HERE = Path(__file__).parent

#: name: (design, changes, effect, trials, seed)
CASES = {
    "kim2009_effect_dropout_ranks": (
        "kim2009",
        {
            "dropout_per_month": 0.05,
            "effect_delay_months": 0.5,
            "primary": "paired_slope_wilcoxon",
            "secondary": ("paired_slope_t", "welch_change", "mann_whitney_change", "welch_slope"),
        },
        0.4,
        300,
        7,
    ),
    "randomized_lead_in_effect": (
        "randomized_lead_in",
        {"secondary": ("paired_slope_t", "mann_whitney_slope_change", "paired_slope_wilcoxon")},
        0.5,
        300,
        11,
    ),
    "randomized_parallel": ("randomized_parallel", {}, 0.0, 300, 3),
    "external_control_effect": ("external_control", {}, 0.3, 300, 5),
    "randomized_lead_in_short": (
        "randomized_lead_in",
        {"enrolment": {"min_lead_in_decline": 0.9, "max_lead_in_decline": 1.1}},
        0.0,
        60,
        13,
    ),
}


def full_table(result) -> pd.DataFrame:
    """Every analysis's estimate and p-value, and the arm counts, per trial."""
    columns = {"trial": range(result.trials)}
    for a, name in enumerate(result.design.analyses):
        columns[f"{name}_estimate"] = result.estimates[a]
        columns[f"{name}_p_value"] = result.p_values[a]
    columns["n_enrolled"] = result.n_enrolled
    columns["n_controls"] = result.n_controls
    return pd.DataFrame(columns)


def case_result(name: str):
    design_name, changes, effect, trials, seed = CASES[name]
    design = load_design(design_name)
    if changes:
        design = design.with_changes(**changes)
    return Simulation(design, effect=effect).run(trials, seed=seed)


def main() -> None:
    kim = Simulation(load_design("kim2009")).run(600, seed=0)
    kim.per_trial().to_csv(HERE / "kim2009_seed0.csv", index=False)
    for name in CASES:
        full_table(case_result(name)).to_csv(HERE / f"{name}.csv", index=False)


if __name__ == "__main__":
    main()

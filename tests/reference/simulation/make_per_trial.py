"""Write the per-trial results the simulation tests hold the vectorized engine to.

    .venv/bin/python tests/reference/simulation/make_per_trial.py

Draw scheme 2 (``alstrial.simulation.trials.DRAW_SCHEME``). For every case the script runs the
vectorized engine *and* the reference engine (the analysis engine's own functions, one trial at
a time) on the same seed, checks that they give the same enrolled and control counts, the same
estimates and p-values (to 1e-9) and the same decisions, and only then writes the vectorized
engine's numbers (its floats are the ones ``test_per_trial_reference.py`` compares bit for bit;
the reference's p-values differ from them in the last digits, scipy against closed forms). It
stops without writing anything if any case disagrees.

Regenerate only when the draw scheme changes (a new ``DRAW_SCHEME``, documented in
``trials.py`` and ``docs/simulation.md``), never to make a test pass: within a scheme, a change
that moves one of these numbers is a bug. History: scheme 1's files were written by the
vectorized engine of commit 3c644f3 (committed in cb012ec); scheme 2's by this script.

- ``kim2009_seed0.csv``: ``alstrial simulate kim2009 --trials 600 --seed 0 --per-trial FILE``
  (three chunks, the last one partial), the public ``trial, estimate, p_value, reject`` format.
- ``<case>.csv``: every analysis of the design (``<analysis>_estimate``, ``<analysis>_p_value``)
  plus ``n_enrolled`` and ``n_controls`` per trial, for the cases of :data:`CASES`, chosen so
  that every path of the engine runs: registry matching on two and three covariates,
  randomized allocation, design dropout, a delayed effect, rank tests, short trials (with
  candidates beyond the first block, from the trials' own streams).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from alstrial.simulation.designs import load_design
from alstrial.simulation.engines import Simulation

HERE = Path(__file__).parent
TOLERANCE = 1e-9

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


def case_design(name: str):
    design_name, changes, effect, trials, seed = CASES[name]
    design = load_design(design_name)
    if changes:
        design = design.with_changes(**changes)
    return design, effect, trials, seed


def case_result(name: str, engine: str = "vectorized", n_jobs: int = 1):
    design, effect, trials, seed = case_design(name)
    return Simulation(design, effect=effect, engine=engine, n_jobs=n_jobs).run(trials, seed=seed)


def check_same(name: str, vectorized, reference) -> None:
    """Stop unless both engines give the same trials (counts, estimates, p-values, decisions)."""
    alpha = vectorized.design.alpha
    problems = []
    if not np.array_equal(vectorized.n_enrolled, reference.n_enrolled):
        problems.append("enrolled counts")
    if not np.array_equal(vectorized.n_controls, reference.n_controls):
        problems.append("control counts")
    for label, a, b in (
        ("p-values", vectorized.p_values, reference.p_values),
        ("estimates", vectorized.estimates, reference.estimates),
    ):
        if not np.array_equal(np.isnan(a), np.isnan(b)) or np.nanmax(np.abs(a - b)) > TOLERANCE:
            problems.append(label)
    decided = [np.nan_to_num(r.p_values, nan=1.0) < alpha for r in (vectorized, reference)]
    if not np.array_equal(*decided):
        problems.append("decisions")
    if problems:
        raise SystemExit(f"{name}: the engines disagree on {', '.join(problems)}; nothing written")


def main() -> None:
    kim = Simulation(load_design("kim2009")).run(600, seed=0)
    check_same("kim2009_seed0", kim, Simulation(load_design("kim2009"), engine="reference",
                                                n_jobs=2).run(600, seed=0))  # fmt: skip
    tables = {"kim2009_seed0": kim.per_trial()}
    for name in CASES:
        vectorized = case_result(name)
        check_same(name, vectorized, case_result(name, engine="reference", n_jobs=2))
        tables[name] = full_table(vectorized)
    for name, table in tables.items():
        table.to_csv(HERE / f"{name}.csv", index=False)
        print(f"{name}.csv: {len(table)} trials, engines agree")


if __name__ == "__main__":
    main()

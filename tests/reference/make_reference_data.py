"""Write the inputs of the R reference scripts (run once; the outputs are checked in).

    .venv/bin/python tests/reference/make_reference_data.py
    Rscript tests/reference/rank_and_t_tests.R
    Rscript tests/reference/mixed_lme4.R
    Rscript tests/reference/efficacy_r.R

- ``rank_cases.json``: samples for the t and rank tests, chosen to hit every branch of R's
  exact/normal rule (no ties, ties, zero differences, n = 49 and n = 50).
- ``efficacy/subjects.csv``, ``efficacy/visits.csv``: a Kim-like trial with deaths, a
  tracheostomy and missed visits, analysed from scratch in R by ``efficacy_r.R``.
- ``mixed/*.csv``: windowed visits (``subject_id, arm, t, alsfrs_r_total``; t in months from the
  index day) of Kim-like synthetic cohorts, including cohorts without slope variance, whose
  REML fits are singular.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from support.synthetic_cohort import kim_like_cohort

from alstrial.analysis.data import AnalysisData
from alstrial.analysis.slopes import windowed_visits

HERE = Path(__file__).parent
#: (seed, slope_sd, subjects per arm): ordinary cohorts, cohorts with no between-subject slope
#: variance whose REML fits lie on the boundary of the covariance space (the hard case for
#: optimizers), and a large cohort (the gradient grows with the number of subjects).
MIXED_CASES = (
    (0, 0.6, 22),
    (1, 0.6, 22),
    (10, 0.6, 22),
    (0, 0.0, 22),
    (3, 0.0, 22),
    (7, 0.0, 22),
    (31, 0.6, 150),
)


def rank_cases() -> list[dict]:
    rng = np.random.default_rng(20261121)
    cases = []

    def add(name: str, kind: str, x, y=None) -> None:
        case = {"name": name, "kind": kind, "x": [float(v) for v in x]}
        if y is not None:
            case["y"] = [float(v) for v in y]
        cases.append(case)

    # signed-rank on differences (follow-up minus lead-in slope)
    add("signed_no_ties_n10", "signed_rank", np.round(rng.normal(0.4, 1, 10), 6))
    add("signed_ties_n12", "signed_rank", [1, -2, 2, 3, 0.5, -0.5, 4, 1.5, 2, 6, -1, 7])
    add("signed_zero_n10", "signed_rank", [0, 1.1, -0.3, 2.2, 0.7, 1.9, -1.4, 3.1, 0.4, 2.6])
    add("signed_no_ties_n49", "signed_rank", np.round(rng.normal(0.3, 1, 49), 6))
    add("signed_no_ties_n50", "signed_rank", np.round(rng.normal(0.3, 1, 50), 6))
    add("signed_n3", "signed_rank", [0.5, 1.5, -0.25])
    # rank-sum (Mann-Whitney) on two groups
    add(
        "ranksum_no_ties_10_12",
        "rank_sum",
        np.round(rng.normal(0, 1, 10), 6),
        np.round(rng.normal(0.8, 1, 12), 6),
    )
    add("ranksum_ties_22_22", "rank_sum", rng.integers(-6, 3, 22), rng.integers(-8, 2, 22))
    add(
        "ranksum_no_ties_49_30",
        "rank_sum",
        np.round(rng.normal(0, 1, 49), 6),
        np.round(rng.normal(0.5, 1, 30), 6),
    )
    add(
        "ranksum_no_ties_50_30",
        "rank_sum",
        np.round(rng.normal(0, 1, 50), 6),
        np.round(rng.normal(0.5, 1, 30), 6),
    )
    add("ranksum_small_3_4", "rank_sum", [1.5, 3.25, 0.5], [4.0, 2.5, 5.5, 6.0])
    return cases


def efficacy_cohort() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A Kim-like trial with deaths, a tracheostomy and thinned visits, in the CSV shape."""
    subjects, visits = kim_like_cohort(41, effect=0.6, death_rate_per_month=0.03)
    subjects["tracheostomy_day"] = pd.array([None] * len(subjects), dtype="Int64")
    subjects.loc[3, "tracheostomy_day"] = subjects.loc[3, "index_day"] + 40
    rng = np.random.default_rng(41)
    visits = visits[rng.random(len(visits)) < 0.85]
    return subjects, visits


def main() -> None:
    (HERE / "rank_cases.json").write_text(json.dumps(rank_cases(), indent=1) + "\n")
    subjects, visits = efficacy_cohort()
    (HERE / "efficacy").mkdir(exist_ok=True)
    subjects.to_csv(HERE / "efficacy" / "subjects.csv", index=False)
    visits.to_csv(HERE / "efficacy" / "visits.csv", index=False)
    for seed, slope_sd, n in MIXED_CASES:
        subjects, visits = kim_like_cohort(
            seed, n_treated=n, n_control=n, effect=0.5, slope_sd=slope_sd
        )
        windowed, _ = windowed_visits(AnalysisData.from_frames(subjects, visits))
        columns = ["subject_id", "arm", "t", "alsfrs_r_total"]
        name = f"kim_like_seed{seed}_slopesd{slope_sd:g}" + ("" if n == 22 else f"_n{n}") + ".csv"
        windowed[columns].to_csv(HERE / "mixed" / name, index=False, float_format="%.17g")


if __name__ == "__main__":
    main()

"""Time the piecewise mixed model (two arms) against ``lme4::lmer`` on the same data.

For each size (default 10,000 and 1,000 subjects, 8 visits each: months -3, -2, -1, 0, 1, 2, 4,
6; half treated) it draws a cohort (random intercept and slope, correlated; a slope change of
+0.3 points/month in the treated), times ``fit_piecewise(..., two_arm=True)`` (the default REML
engine, the whole call from the visits table) and, when ``Rscript`` with lme4 is installed,
``lmer`` on the same data in the same run (``bench_mixed_lme4.R``: timed inside R, so without
R's start-up and reading the CSV; the wall time of the whole Rscript call is printed too). It
prints both times, their ratio, and the agreement: the REML log-likelihood (ours minus lme4's;
>= 0 means ours is equal or higher) and the largest relative difference of the fixed effects.
Each time is the best of ``--repeats`` runs (the machine is shared; CPU seconds are printed too),
after a warm-up fit that loads (or, the first time, compiles) the numba kernel.
``--statsmodels`` also times the statsmodels reference engine (slow: about a minute at 10,000).

Usage: ``.venv/bin/python bench/bench_mixed.py [--sizes 10000 1000] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from alstrial.analysis.mixed import fit_piecewise

MONTHS = (-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 4.0, 6.0)
R_SCRIPT = Path(__file__).with_name("bench_mixed_lme4.R")


def cohort(n_subjects: int, seed: int = 17) -> pd.DataFrame:
    """Visits of ``n_subjects`` (half treated): intercept ~ N(36, 5^2) points, slope ~
    N(-1, 0.6^2) points/month, correlation 0.3, residual SD 1.5 points, treated +0.3
    points/month after month 0; 10% of subjects miss their last two visits."""
    rng = np.random.default_rng(seed)
    months = np.array(MONTHS)
    cov = np.array([[25.0, 0.3 * 5 * 0.6], [0.3 * 5 * 0.6, 0.36]])
    effects = rng.multivariate_normal([36.0, -1.0], cov, size=n_subjects)
    treated = np.arange(n_subjects) % 2 == 1
    totals = (
        effects[:, :1]
        + effects[:, 1:] * months
        + 0.3 * treated[:, None] * np.maximum(months, 0)
        + rng.normal(0, 1.5, (n_subjects, months.size))
    )
    seen = np.ones(totals.shape, dtype=bool)
    seen[rng.random(n_subjects) < 0.1, -2:] = False
    s, v = np.nonzero(seen)
    return pd.DataFrame(
        {
            "subject_id": np.char.add("S", s.astype(str)),
            "arm": np.where(treated[s], "treated", "control"),
            "t": months[v],
            "alsfrs_r_total": np.round(totals[s, v], 3),
        }
    )


def time_ours(visits: pd.DataFrame, repeats: int, engine: str = "reml"):
    best, best_cpu, result = np.inf, np.inf, None
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        result = fit_piecewise(visits, two_arm=True, engine=engine)
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return result, best, best_cpu


def time_lme4(visits: pd.DataFrame, repeats: int) -> tuple[dict, float] | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "visits.csv"
        visits.rename(columns={"alsfrs_r_total": "total"}).to_csv(path, index=False)
        start = time.perf_counter()
        run = subprocess.run(
            ["Rscript", str(R_SCRIPT), str(path), str(repeats)],
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - start
    if run.returncode != 0:
        print(f"  lme4: Rscript failed: {run.stderr.strip()[-300:]}")
        return None
    return json.loads(run.stdout.strip().splitlines()[-1]), wall


def _key(term: str) -> str:
    return ":".join(sorted(term.replace("(Intercept)", "Intercept").split(":")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--statsmodels", action="store_true")
    args = parser.parse_args()
    # numba compiles the REML kernel on first use and caches it on disk: not part of a fit.
    start = time.perf_counter()
    fit_piecewise(cohort(20), two_arm=True)
    print(f"warm-up (loading or compiling the REML kernel): {time.perf_counter() - start:.2f} s")
    for size in args.sizes:
        visits = cohort(size)
        print(f"{size:,} subjects x {len(MONTHS)} visits ({len(visits):,} visits), two arms")
        ours, seconds, cpu = time_ours(visits, args.repeats)
        print(
            f"  alstrial REML engine     {seconds:8.3f} s  (CPU {cpu:6.3f} s)  "
            f"converged={ours.converged} singular={ours.singular}"
        )
        if args.statsmodels:
            reference, sm_seconds, sm_cpu = time_ours(visits, 1, engine="statsmodels")
            print(
                f"  statsmodels engine       {sm_seconds:8.3f} s  (CPU {sm_cpu:6.3f} s)  "
                f"logLik difference {ours.reml_log_likelihood - reference.reml_log_likelihood:+.2e}"
            )
        lme4 = time_lme4(visits, args.repeats)
        if lme4 is None:
            print("  lme4: Rscript with lme4 not available; no comparison")
            continue
        r, wall = lme4
        # auto_unbox writes one repeat as a number, several as a list.
        r_seconds, r_cpu = np.min(r["elapsed"]), np.min(r["cpu"])
        print(
            f"  lme4 {r['lme4']} lmer        {r_seconds:8.3f} s  (CPU {r_cpu:6.3f} s; "
            f"Rscript wall time {wall:.2f} s for {args.repeats} fit(s) with start-up and reading)"
        )
        print(f"  ratio lme4 / alstrial    {r_seconds / seconds:8.1f} x")
        fixed = {_key(k): v for k, v in r["fixed"].items()}
        ours_fixed = ours.fixed_effects["estimate"]
        relative = max(
            abs(ours_fixed[term] - fixed[_key(term)]) / abs(fixed[_key(term)])
            for term in ours_fixed.index
        )
        gain = ours.reml_log_likelihood - r["reml_log_likelihood"]
        print(
            f"  REML logLik alstrial - lme4 {gain:+.3e}"
            f"   fixed effects max relative difference {relative:.1e}"
            f"   singular {ours.singular}/{r['singular']}"
        )


if __name__ == "__main__":
    main()

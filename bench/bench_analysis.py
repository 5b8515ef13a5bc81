"""Time the full analysis of a 100-subject trial with registry controls, and the matcher alone.

Prints, for a synthetic PRO-ACT registry of 10,000 and of 100,000 patients (written to a
temporary folder first; that is not timed): reading the registry, building the control pool and
matching (``matched_controls``), the efficacy analysis, and their total, against the targets
(< 5 s and < 60 s on 2 cores); then the report; then the matcher alone, 100 treated against
100,000 candidates, Mahalanobis and propensity. ``--strict`` exits 1 when a target is missed.

Usage: ``.venv/bin/python bench/bench_analysis.py [--sizes 10000 100000] [--strict]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from alstrial.analysis.controls import control_pool, matched_controls
from alstrial.analysis.data import AnalysisData
from alstrial.analysis.efficacy import analyse
from alstrial.analysis.matching import Matcher
from alstrial.analysis.report import build_report
from alstrial.registry.proact import read_registry
from alstrial.registry.synth import synthesize, write_proact

# The benchmarks share the tests' support code (tests/support), which is not part of the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support.synthetic_cohort import kim_like_cohort

TARGETS = {10_000: 5.0, 100_000: 60.0}  # seconds, full analysis on 2 cores
N_TREATED = 100


def timed(label: str, function, *args, **kwargs):
    """Run and print wall-clock seconds (the target) and CPU seconds of this process (which
    shows when other work on a shared machine, not this code, made the wall clock slow)."""
    start, cpu = time.perf_counter(), time.process_time()
    value = function(*args, **kwargs)
    seconds = time.perf_counter() - start
    print(f"  {label:<34} {seconds:8.2f} s   (CPU {time.process_time() - cpu:6.2f} s)")
    return value, seconds


def full_analysis(size: int, folder: Path) -> float:
    print(f"registry of {size:,} patients, trial of {N_TREATED} treated subjects")
    start = time.perf_counter()
    write_proact(synthesize(size, seed=2024), folder)
    print(f"  {'(writing the registry, not timed)':<34} {time.perf_counter() - start:8.2f} s")
    subjects, visits = kim_like_cohort(seed=1, n_treated=N_TREATED, n_control=0)
    total = 0.0
    registry, seconds = timed("read_registry", read_registry, folder)
    total += seconds
    trial, seconds = timed("validate trial data", AnalysisData.from_frames, subjects, visits)
    total += seconds
    (control_subjects, control_visits, match), seconds = timed(
        "pool + matching (matched_controls)",
        matched_controls,
        trial.subjects,
        trial.visits,
        registry,
    )
    total += seconds
    controls, seconds = timed(
        "validate controls", AnalysisData.from_frames, control_subjects, control_visits
    )
    total += seconds
    data = trial.combine(controls)
    result, seconds = timed("efficacy analysis", analyse, data, matching=match)
    total += seconds
    target = TARGETS.get(size)
    verdict = (
        ""
        if target is None
        else (f" (target < {target:g} s: {'met' if total < target else 'MISSED'})")
    )
    print(f"  {'full analysis':<34} {total:8.2f} s{verdict}")
    print(
        f"  matched {match.matches['treated_id'].nunique()} of {N_TREATED} treated to "
        f"{match.matches['control_id'].nunique()} of {match.flow['eligible']:,} eligible"
    )
    with tempfile.TemporaryDirectory() as out:
        timed("report (HTML + PDF, extra)", build_report, result, data, Path(out))
    return total


def matcher_only(folder: Path) -> None:
    print(f"matcher alone: {N_TREATED} treated against every eligible candidate")
    registry = read_registry(folder)
    pool = control_pool(registry).candidates
    # Treated drawn from the pool's own covariates, so the caliper finds matches.
    rng = np.random.default_rng(0)
    treated = pool.sample(N_TREATED, random_state=rng).copy()
    treated["subject_id"] = [f"T{i}" for i in range(N_TREATED)]
    treated["age_years"] += rng.normal(0, 1, N_TREATED)
    candidates = pool.reset_index(drop=True)
    print(f"  candidates: {len(candidates):,}")
    for distance in ("mahalanobis", "propensity"):
        matcher, _ = timed(
            f"{distance}, caliper 0.2, 1:1", Matcher(distance=distance).fit, treated, candidates
        )
        print(f"    matched {len(matcher.matches_)} of {N_TREATED}")
    big = pd.concat([candidates] * max(1, -(-100_000 // len(candidates))), ignore_index=True)
    big = big.head(100_000).assign(subject_id=[f"C{i}" for i in range(min(100_000, len(big)))])
    print(f"  candidates: {len(big):,} (pool repeated to 100,000)")
    for distance in ("mahalanobis", "propensity"):
        timed(f"{distance}, caliper 0.2, 1:1", Matcher(distance=distance).fit, treated, big)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    missed = False
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            folder = Path(tmp) / f"registry-{size}"
            total = full_analysis(size, folder)
            missed |= total >= TARGETS.get(size, float("inf"))
        matcher_only(Path(tmp) / f"registry-{args.sizes[-1]}")
    return 1 if (missed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())

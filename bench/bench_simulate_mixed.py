"""Benchmark: 10,000 trials of a 60-subject randomized design whose primary analysis is the
two-arm piecewise mixed model (``mixed_model_slope_change``) or, with ``--analysis mmrm``, the
MMRM (treatment difference at the last visit), vectorized engine.

The design is ``randomized_lead_in`` (30 + 30, 3-month lead-in, 6 months of follow-up) with the
model as its only analysis. Prints, against the target (under 20 s for 10,000 trials on 2
cores): the vectorized engine's wall-clock and CPU time for ``--trials`` trials on ``--jobs``
joblib workers (best and median of ``--repeats`` runs after a warm-up), the share of it spent in
the batched REML fits (1 worker, CPU), and the reference engine's time per trial (statsmodels
for the mixed model, ``fit_mmrm`` for the MMRM; ``--reference-trials`` trials, 1 worker) with
the per-trial CPU ratio. The machine's load average is printed: on a loaded machine
wall-clock times say more about the neighbours than the code; CPU time is
``time.process_time`` of this process (all its threads).

Run: ``.venv/bin/python bench/bench_simulate_mixed.py [--analysis NAME] [--trials N]
[--reference-trials M]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from alstrial.simulation.designs import load_design
from alstrial.simulation.engines import Simulation
from alstrial.simulation.model_analyses import MODEL_ANALYSES
from alstrial.simulation.natural_history import NaturalHistory
from alstrial.simulation.trials import chunk_bounds, draw_chunk
from alstrial.simulation.vectorized import run_chunk_vectorized

TARGET_SECONDS = 20.0
ANALYSIS = "mixed_model_slope_change"
#: What the reference engine fits per trial, by analysis.
REFERENCE_FITS = {"mixed_model_slope_change": "statsmodels", "mmrm": "fit_mmrm"}


def design():
    return load_design("randomized_lead_in").with_changes(primary=ANALYSIS, secondary=())


def timed(simulation: Simulation, trials: int, seed: int) -> tuple[float, float]:
    """(wall seconds of the engine, CPU seconds of this process) of one run."""
    cpu = time.process_time()
    result = simulation.run(trials, seed=seed)
    return result.seconds, time.process_time() - cpu


def fit_share(trials: int, seed: int) -> tuple[float, float]:
    """CPU seconds of the whole vectorized engine and of the REML fits in it (1 worker)."""
    the_design, model = design(), NaturalHistory.literature()
    analysis = MODEL_ANALYSES[ANALYSIS]
    fitting = 0.0

    def counted(visits):
        nonlocal fitting
        start = time.process_time()
        try:
            return chunk(visits)
        finally:
            fitting += time.process_time() - start

    chunk = analysis.chunk
    MODEL_ANALYSES[ANALYSIS] = type(analysis)(counted, analysis.trial)
    try:
        total = 0.0
        for k, n in chunk_bounds(trials):
            draws = draw_chunk(the_design, model, seed, k, n)
            start = time.process_time()
            run_chunk_vectorized(the_design, model, draws, 0.0)
            total += time.process_time() - start
    finally:
        MODEL_ANALYSES[ANALYSIS] = analysis
    return total, fitting


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--reference-trials", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--analysis", choices=sorted(MODEL_ANALYSES), default=ANALYSIS)
    args = parser.parse_args()
    globals()["ANALYSIS"] = args.analysis
    the_design = design()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"design: randomized_lead_in, 30 + 30 subjects, primary {ANALYSIS}; load {load:.1f}")

    timed(Simulation(the_design, n_jobs=args.jobs), 500, 1)  # warm-up: imports, compiling
    runs = [
        timed(Simulation(the_design, n_jobs=args.jobs), args.trials, seed)
        for seed in range(2, 2 + args.repeats)
    ]
    walls, cpus = [run[0] for run in runs], [run[1] for run in runs]
    best = min(walls)
    verdict = "OK" if best < TARGET_SECONDS else "MISSED"
    print(
        f"vectorized, {args.trials:,} trials, {args.jobs} workers: best {best:.2f} s, median "
        f"{statistics.median(walls):.2f} s wall (CPU {min(cpus):.2f} s); target < "
        f"{TARGET_SECONDS:.0f} s: {verdict}"
    )
    engine, fitting = fit_share(min(args.trials, 2_000), 2)
    print(
        f"1 worker, {min(args.trials, 2_000):,} trials: engine {engine:.2f} s CPU, of which the "
        f"batched REML fits {fitting:.2f} s"
    )
    if args.reference_trials:
        simulation = Simulation(the_design, engine="reference")
        wall, cpu = timed(simulation, args.reference_trials, 5)
        per_trial = cpu / args.reference_trials
        fast_per_trial = min(cpus) / args.trials
        print(
            f"reference engine ({REFERENCE_FITS[ANALYSIS]}), {args.reference_trials} trials: "
            f"{wall / args.reference_trials:.3f} s wall, {per_trial:.3f} s CPU per trial; "
            f"vectorized is {per_trial / fast_per_trial:,.0f} times faster per trial (CPU)"
        )
    return 0 if best < TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: 10,000 trials of ``kim2009``, vectorized engine vs reference engine.

Prints the vectorized engine's time for 10,000 trials (2 joblib workers), the reference engine's
time per trial (measured on fewer trials, one worker) and the per-trial speed ratio, against the
targets of issue 7: under 2 s for 10,000 trials on 2 cores, at least 1,000 times faster per trial.
The vectorized time is measured after a small warm-up run (imports and the thread pool), as a
user's second run sees it; the cold time is printed too.

Run: ``.venv/bin/python bench/bench_simulate.py [--trials N] [--reference-trials M]``.
"""

from __future__ import annotations

import argparse
import os
import time

from alstrial.simulation.designs import load_design
from alstrial.simulation.engines import Simulation

TARGET_SECONDS = 2.0
TARGET_RATIO = 1000.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--reference-trials", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    design = load_design("kim2009")

    start = time.perf_counter()
    cold = Simulation(design, n_jobs=args.jobs).run(args.trials, seed=1)
    cold_seconds = time.perf_counter() - start
    runs = [Simulation(design, n_jobs=args.jobs).run(args.trials, seed=s) for s in (2, 3, 4)]
    vectorized = min(r.seconds for r in runs)
    per_trial_vectorized = vectorized / args.trials

    reference = Simulation(design, engine="reference").run(args.reference_trials, seed=1)
    per_trial_reference = reference.seconds / args.reference_trials
    ratio = per_trial_reference / per_trial_vectorized

    print(f"machine: {os.cpu_count()} cores; design kim2009; workers {args.jobs}")
    print(
        f"vectorized, {args.trials} trials: {vectorized:.3f} s (best of 3; first run "
        f"{cold_seconds:.3f} s)  target < {TARGET_SECONDS} s  "
        f"{'OK' if vectorized < TARGET_SECONDS else 'MISSED'}"
    )
    print(f"vectorized per trial:  {per_trial_vectorized * 1e6:.1f} us")
    print(
        f"reference per trial:   {per_trial_reference * 1e3:.1f} ms "
        f"({args.reference_trials} trials, 1 worker)"
    )
    print(
        f"speed ratio per trial: {ratio:,.0f}x  target >= {TARGET_RATIO:,.0f}x  "
        f"{'OK' if ratio >= TARGET_RATIO else 'MISSED'}"
    )
    print(
        f"type I error (kim2009, literature model, seed 1): {cold.rejection_rate:.4f} "
        f"[{cold.rejection_rate_ci[0]:.4f}, {cold.rejection_rate_ci[1]:.4f}] (Wilson 95%)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

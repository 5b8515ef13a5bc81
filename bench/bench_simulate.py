"""Benchmark: 10,000 trials of ``kim2009``, vectorized engine vs reference engine.

Prints the vectorized engine's time for 10,000 trials (2 joblib workers), the reference engine's
time per trial (measured on fewer trials, one worker) and the per-trial speed ratio, against the
targets of issue 7: under 2 s for 10,000 trials on 2 cores, at least 1,000 times faster per
trial. The vectorized time is the best of three runs after a warm-up (imports and the thread
pool), as a user's second run sees it; the first run is printed too.

Wall-clock times depend on what else the machine runs, so the CPU time of this process (all
its threads) is printed beside them: on a shared machine the CPU figures are the comparable ones.

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


def timed(simulation: Simulation, trials: int, seed: int):
    """(result, wall seconds of the engine, CPU seconds of this process)."""
    cpu = time.process_time()
    result = simulation.run(trials, seed=seed)
    return result, result.seconds, time.process_time() - cpu


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--reference-trials", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    design = load_design("kim2009")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")

    first, first_wall, _ = timed(Simulation(design, n_jobs=args.jobs), args.trials, 1)
    runs = [timed(Simulation(design, n_jobs=args.jobs), args.trials, s) for s in (2, 3, 4)]
    _, wall, cpu = min(runs, key=lambda run: run[1])
    _, ref_wall, ref_cpu = timed(Simulation(design, engine="reference"), args.reference_trials, 1)
    per_trial = {
        "vectorized wall": wall / args.trials,
        "vectorized cpu": cpu / args.trials,
        "reference wall": ref_wall / args.reference_trials,
        "reference cpu": ref_cpu / args.reference_trials,
    }
    ratio_wall = per_trial["reference wall"] / per_trial["vectorized wall"]
    ratio_cpu = per_trial["reference cpu"] / per_trial["vectorized cpu"]

    print(
        f"machine: {os.cpu_count()} cores, load average {load:.1f}; design kim2009; "
        f"vectorized on {args.jobs} workers, reference on 1"
    )
    print(
        f"vectorized, {args.trials} trials: {wall:.3f} s wall (best of 3; first run "
        f"{first_wall:.3f} s), {cpu:.3f} s CPU  target < {TARGET_SECONDS} s  "
        f"{verdict(wall < TARGET_SECONDS)}"
    )
    print(
        f"vectorized per trial:  {per_trial['vectorized wall'] * 1e6:.1f} us wall, "
        f"{per_trial['vectorized cpu'] * 1e6:.1f} us CPU"
    )
    print(
        f"reference per trial:   {per_trial['reference wall'] * 1e3:.1f} ms wall, "
        f"{per_trial['reference cpu'] * 1e3:.1f} ms CPU ({args.reference_trials} trials)"
    )
    print(
        f"speed ratio per trial: {ratio_wall:,.0f}x wall (2 workers vs 1), "
        f"{ratio_cpu:,.0f}x CPU  target >= {TARGET_RATIO:,.0f}x  "
        f"{verdict(ratio_wall >= TARGET_RATIO)}"
    )
    print(
        f"type I error (kim2009, literature model, seed 1): {first.rejection_rate:.4f} "
        f"[{first.rejection_rate_ci[0]:.4f}, {first.rejection_rate_ci[1]:.4f}] (Wilson 95%)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

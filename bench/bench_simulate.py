"""Benchmark: 10,000 trials of ``kim2009``, vectorized engine vs reference engine.

Prints, against the targets (under 2 s for 10,000 trials on 2 cores; at least 1,000
times faster per trial than the reference engine):

- the vectorized engine's time for 10,000 trials on 2 joblib workers, wall-clock and CPU (best
  and median of ``--repeats`` runs after a warm-up, as a user's second run sees it);
- its CPU time per trial on 1 worker, split into the random draws (``trials.draw_chunk``, shared
  by both engines; draw scheme ``trials.DRAW_SCHEME``) and the engine itself;
- the reference engine's time per trial (``--reference-trials``, 1 worker), wall and CPU;
- the per-trial ratio: CPU against CPU (the comparable figure on a shared machine), and wall
  (2 workers) against wall (1 worker).

CPU time is ``time.process_time`` of this process (all its threads). The machine's load average
is printed: on a loaded machine wall-clock times say more about the neighbours than the code.

Run: ``.venv/bin/python bench/bench_simulate.py [--trials N] [--reference-trials M]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from alstrial.simulation.designs import load_design
from alstrial.simulation.engines import Simulation
from alstrial.simulation.natural_history import NaturalHistory
from alstrial.simulation.trials import DRAW_SCHEME, chunk_bounds, draw_chunk
from alstrial.simulation.vectorized import run_chunk_vectorized

TARGET_SECONDS = 2.0
TARGET_RATIO = 1000.0


def timed(simulation: Simulation, trials: int, seed: int) -> tuple[float, float]:
    """(wall seconds of the engine, CPU seconds of this process) of one run."""
    cpu = time.process_time()
    result = simulation.run(trials, seed=seed)
    return result.seconds, time.process_time() - cpu


def draw_and_engine_cpu(design, trials: int, seed: int) -> tuple[float, float]:
    """CPU seconds of the random draws and of the vectorized engine over ``trials`` trials."""
    model = NaturalHistory.literature()
    drawing = engine = 0.0
    for k, n in chunk_bounds(trials):
        start = time.process_time()
        draws = draw_chunk(design, model, seed, k, n)
        middle = time.process_time()
        run_chunk_vectorized(design, model, draws, design.effect)
        drawing += middle - start
        engine += time.process_time() - middle
    return drawing, engine


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--reference-trials", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    design = load_design("kim2009")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")

    timed(Simulation(design, n_jobs=args.jobs), args.trials, 1)  # warm-up: imports, threads
    runs = [
        timed(Simulation(design, n_jobs=args.jobs), args.trials, seed)
        for seed in range(2, 2 + args.repeats)
    ]
    walls, cpus = [run[0] for run in runs], [run[1] for run in runs]
    one_worker = min(
        (draw_and_engine_cpu(design, args.trials, seed) for seed in range(2, 2 + args.repeats)),
        key=sum,
    )
    ref_wall, ref_cpu = timed(Simulation(design, engine="reference"), args.reference_trials, 1)

    vec_cpu_trial = sum(one_worker) / args.trials
    vec_wall_trial = min(walls) / args.trials
    ref_cpu_trial = ref_cpu / args.reference_trials
    ref_wall_trial = ref_wall / args.reference_trials
    ratio_cpu = ref_cpu_trial / vec_cpu_trial
    ratio_wall = ref_wall_trial / vec_wall_trial

    print(
        f"machine: {os.cpu_count()} cores, load average {load:.1f}; design kim2009, "
        f"draw scheme {DRAW_SCHEME}"
    )
    print(
        f"vectorized, {args.trials} trials on {args.jobs} workers: {min(walls):.3f} s wall "
        f"(median {statistics.median(walls):.3f}), {min(cpus):.3f} s CPU (median "
        f"{statistics.median(cpus):.3f}); {args.repeats} runs  target < {TARGET_SECONDS} s  "
        f"{verdict(min(walls) < TARGET_SECONDS)}"
    )
    print(
        f"vectorized per trial, 1 worker: {vec_cpu_trial * 1e6:.1f} us CPU = draws "
        f"{one_worker[0] / args.trials * 1e6:.1f} us + engine "
        f"{one_worker[1] / args.trials * 1e6:.1f} us (best of {args.repeats})"
    )
    print(
        f"reference per trial, 1 worker:  {ref_wall_trial * 1e3:.2f} ms wall, "
        f"{ref_cpu_trial * 1e3:.2f} ms CPU ({args.reference_trials} trials)"
    )
    print(
        f"ratio per trial: {ratio_cpu:,.0f}x CPU  target >= {TARGET_RATIO:,.0f}x  "
        f"{verdict(ratio_cpu >= TARGET_RATIO)}"
    )
    print(
        f"ratio per trial: {ratio_wall:,.0f}x wall ({args.jobs} workers vs 1)  "
        f"target >= {TARGET_RATIO:,.0f}x  {verdict(ratio_wall >= TARGET_RATIO)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

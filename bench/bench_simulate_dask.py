"""Benchmark: the Dask path scaling with workers on one machine.

Starts a ``LocalCluster`` with 1, 2, ... worker processes (one thread each), runs the same
``kim2009`` simulation on each and prints the time and the speed-up over one worker. The cluster
start-up is not timed (a warm-up run per cluster); the time includes connecting a client and
gathering results. The per-trial results are checked to be identical for every cluster size.

Run: ``.venv/bin/python bench/bench_simulate_dask.py [--trials N] [--max-workers W]``.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from distributed import LocalCluster

from alstrial.simulation.designs import load_design
from alstrial.simulation.engines import Simulation


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=40_000)
    parser.add_argument("--max-workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    design = load_design("kim2009")
    print(f"machine: {os.cpu_count()} cores; design kim2009; {args.trials} trials")
    baseline, first = None, None
    for workers in range(1, args.max_workers + 1):
        with LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster:
            simulation = Simulation(design, scheduler=cluster.scheduler_address)
            simulation.run(1000, seed=0)  # warm-up: imports in the workers
            result = simulation.run(args.trials, seed=1)
        baseline = baseline or result.seconds
        if first is None:
            first = result.p_values
        same = np.array_equal(first, result.p_values, equal_nan=True)
        print(
            f"dask workers {workers}: {result.seconds:.3f} s  speed-up "
            f"{baseline / result.seconds:.2f}x  identical results: {same}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

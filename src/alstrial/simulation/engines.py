"""Running a simulation: chunks of trials spread over cores (joblib) or a Dask cluster.

``Simulation(design, ...).run(trials, seed)`` (parameters in, ``run`` out; docs/DEVELOPING.md,
'Patterns a new module follows'). Each chunk of :data:`~alstrial.simulation.trials.CHUNK_SIZE`
trials has its own seed (see :mod:`.trials`), so the per-trial results are the same for any number
of workers, any scheduler and either engine:

- ``vectorized`` (default): :mod:`.vectorized`, all trials of a chunk at once;
- ``reference``: :mod:`.reference`, one trial at a time through the analysis engine.

Workers: ``n_jobs`` joblib workers (threads for the vectorized engine: numpy releases the GIL
in the random draws and array arithmetic, and threads start at once; processes for the
pandas-bound reference engine), or a Dask distributed cluster with
``scheduler=ADDRESS`` (``"local"`` starts a ``LocalCluster`` and closes it afterwards).
Ctrl-C cancels the outstanding chunks and raises :class:`SimulationInterrupted`; nothing is
returned half-done.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from alstrial.simulation.designs import Design
from alstrial.simulation.multiplicity import MultiplicitySummary
from alstrial.simulation.natural_history import NaturalHistory
from alstrial.simulation.reference import run_chunk_reference
from alstrial.simulation.results import AnalysisSummary, SimulationResult
from alstrial.simulation.trials import ChunkOutcome, chunk_bounds, draw_chunk
from alstrial.simulation.vectorized import run_chunk_vectorized

ENGINES: dict[str, Callable[..., ChunkOutcome]] = {
    "vectorized": run_chunk_vectorized,
    "reference": run_chunk_reference,
}
#: Runs with at least this many chunks show a progress bar when asked to.
PROGRESS_MIN_CHUNKS = 4


def describe_model(model: NaturalHistory) -> str:
    """``literature`` or ``linear`` for those presets, ``custom`` otherwise (the parameters
    themselves are in every result's ``model_parameters``)."""
    if model == NaturalHistory.literature():
        return "literature"
    if model == NaturalHistory.linear():
        return "linear"
    return "custom"


class SimulationInterrupted(RuntimeError):
    """The run was stopped (Ctrl-C); no result was produced."""


def simulate_chunk(
    design: Design,
    model: NaturalHistory,
    effect: float,
    engine: str,
    seed: int,
    chunk_index: int,
    n_trials: int,
) -> ChunkOutcome:
    """Draw and analyse one chunk (a top-level function, so workers can receive it)."""
    draws = draw_chunk(design, model, seed, chunk_index, n_trials)
    return ENGINES[engine](design, model, draws, effect)


@dataclass
class Simulation:
    """A simulation of ``design`` under a natural-history ``model`` (default: literature).

    ``effect``: the treatment's slope change, points/month (default: the design's, usually 0).
    ``n_jobs``: joblib workers (-1: all cores); ``scheduler``: a Dask scheduler address or
    ``"local"``; ``progress``: show a rich progress bar on long runs; ``model_name``: how
    outputs name the model (default: :func:`describe_model`).
    """

    design: Design
    model: NaturalHistory = field(default_factory=NaturalHistory.literature)
    effect: float | None = None
    engine: str = "vectorized"
    n_jobs: int = 1
    scheduler: str | None = None
    progress: bool = False
    model_name: str | None = None

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {self.engine!r}")
        if self.n_jobs == 0 or self.n_jobs < -1:
            raise ValueError(f"n_jobs must be at least 1, or -1 for every core, got {self.n_jobs}")

    def run(self, trials: int, seed: int) -> SimulationResult:
        """Simulate ``trials`` trials from ``seed`` and summarise them."""
        if trials < 1:
            raise ValueError(f"trials must be at least 1, got {trials}")
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        effect = self.design.effect if self.effect is None else float(self.effect)
        tasks = [
            (self.design, self.model, effect, self.engine, seed, k, n)
            for k, n in chunk_bounds(trials)
        ]
        start = time.perf_counter()
        outcomes = list(self._outcomes(tasks))
        seconds = time.perf_counter() - start
        outcomes.sort(key=lambda o: o.first_trial)
        estimates = np.concatenate([o.estimates for o in outcomes], axis=1)
        p_values = np.concatenate([o.p_values for o in outcomes], axis=1)
        return SimulationResult(
            design=self.design,
            trials=trials,
            seed=seed,
            effect=effect,
            engine=self.engine,
            seconds=seconds,
            model=self.model_name or describe_model(self.model),
            analyses=tuple(
                AnalysisSummary.from_arrays(
                    self.design,
                    name,
                    self.design.comparison_effect(effect, k),
                    estimates[row],
                    p_values[row],
                    self.design.comparisons[k],
                )
                for row, (name, k) in enumerate(self.design.outcome_rows)
            ),
            multiplicity=self._multiplicity(p_values),
            estimates=estimates,
            p_values=p_values,
            n_enrolled=np.concatenate([o.n_enrolled for o in outcomes]),
            n_controls=np.concatenate([o.n_controls for o in outcomes]),
            model_parameters=self.model.to_dict(),
        )

    def _multiplicity(self, p_values: np.ndarray) -> MultiplicitySummary | None:
        """A multi-arm design's primary analysis under its rule (its first rows)."""
        if not self.design.is_multi_arm:
            return None
        return MultiplicitySummary.from_p_values(
            self.design, p_values[: len(self.design.comparisons)]
        )

    def _outcomes(self, tasks: list[tuple]) -> Iterator[ChunkOutcome]:
        source = self._dask(tasks) if self.scheduler else self._joblib(tasks)
        if not (self.progress and len(tasks) >= PROGRESS_MIN_CHUNKS):
            yield from _interruptible(source)
            return
        # rich loads only when a progress bar is shown.
        from rich.progress import Progress

        trials = sum(task[-1] for task in tasks)
        with Progress(transient=True) as bar:
            job = bar.add_task(f"{self.design.name}: {trials} trials", total=trials)
            for outcome in _interruptible(source):
                bar.advance(job, outcome.estimates.shape[1])
                yield outcome

    def _joblib(self, tasks: list[tuple]) -> Iterator[ChunkOutcome]:
        if self.n_jobs == 1 or len(tasks) == 1:
            for task in tasks:
                yield simulate_chunk(*task)
            return
        # joblib (about 0.2 s to import) loads only when chunks run in parallel.
        from joblib import Parallel, delayed

        # The vectorized engine spends its time in numpy, which releases the GIL: threads start
        # at once and share memory. The reference engine is pandas-bound Python: processes.
        prefer = "threads" if self.engine == "vectorized" else "processes"
        parallel = Parallel(n_jobs=self.n_jobs, prefer=prefer, return_as="generator_unordered")
        yield from parallel(delayed(simulate_chunk)(*task) for task in tasks)

    def _dask(self, tasks: list[tuple]) -> Iterator[ChunkOutcome]:
        # dask.distributed (about 0.5 s to import) loads only when a dask scheduler is used.
        from distributed import Client, as_completed

        with scheduler_address(self.scheduler, self.n_jobs) as address:
            client = Client(address)
            futures = []
            try:
                futures = [client.submit(simulate_chunk, *task, pure=False) for task in tasks]
                for future in as_completed(futures):
                    yield future.result()
            finally:
                client.cancel(futures)
                client.close()


@contextmanager
def scheduler_address(scheduler: str | None, n_jobs: int = -1) -> Iterator[str | None]:
    """The Dask scheduler to use: ``scheduler`` itself, or for ``"local"`` the address of a
    ``LocalCluster`` of ``n_jobs`` single-threaded worker processes (-1: one per core), closed
    on leaving. Lets several runs (a power curve) share one local cluster."""
    if scheduler != "local":
        yield scheduler
        return
    # dask.distributed (about 0.5 s to import) loads only when a dask scheduler is used.
    from distributed import LocalCluster

    workers = n_jobs if n_jobs > 0 else None
    with LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def _interruptible(source: Iterator[ChunkOutcome]) -> Iterator[ChunkOutcome]:
    """Re-raise Ctrl-C as :class:`SimulationInterrupted` after closing the source."""
    try:
        yield from source
    except KeyboardInterrupt:
        close = getattr(source, "close", None)
        if close is not None:
            close()
        raise SimulationInterrupted(
            "simulation stopped by the user; no result was written"
        ) from None

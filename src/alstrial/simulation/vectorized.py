"""The vectorized engine: every trial of a chunk in one compiled pass, then closed-form tests.

It reproduces :mod:`.reference` step by step: screening in candidate order, randomized
allocation, greedy registry matching, per-subject OLS slopes over the observed visits (the
analysis engine's definitions, docs/interfaces.md, 'Analysis data') in :mod:`.trial_kernels`
(numba), giving arrays shaped ``(trials, subjects)``; then paired and Welch t-tests in closed form
(:mod:`.closed_forms`) or the rank tests of :mod:`.ranks`, over all trials at once; analyses
that fit a model to the visits get the visits themselves (:mod:`.model_analyses`). Missing
visits are masks, never removed rows.

Its per-trial results are held bit for bit to the ones checked in for the current draw scheme
(``tests/reference/simulation/``, written after checking them against the reference engine):
an optimisation here must not move a number.
"""

from __future__ import annotations

import numpy as np

from alstrial.simulation.closed_forms import (
    masked_ols_slope,
    paired_t_rows,
    subject_summaries,
    welch_t_rows,
)
from alstrial.simulation.designs import ANALYSES, Design
from alstrial.simulation.draw_kernels import patient_matrix
from alstrial.simulation.model_analyses import MODEL_ANALYSES, ChunkVisits
from alstrial.simulation.natural_history import NaturalHistory
from alstrial.simulation.prognostic import (
    adjusts,
    ancova_rows,
    prognostic_scores,
    score_noise,
)
from alstrial.simulation.ranks import rank_sum_rows, signed_rank_rows
from alstrial.simulation.results import analysis_target
from alstrial.simulation.trial_kernels import AGE, BASELINE_TOTAL, MONTHS, simulate_trials
from alstrial.simulation.trials import (
    ChunkDraws,
    ChunkOutcome,
    arm_shifts,
    design_exit_months,
    patient_count,
    place_arms,
    visit_grid,
)

__all__ = [
    "masked_ols_slope",
    "paired_t_rows",
    "run_chunk_vectorized",
    "subject_summaries",
    "welch_t_rows",
]

_COVARIATE_CODES = {
    "age_years": AGE,
    "months_since_onset": MONTHS,
    "baseline_total": BASELINE_TOTAL,
}


def run_chunk_vectorized(
    design: Design, model: NaturalHistory, draws: ChunkDraws, effect: float
) -> ChunkOutcome:
    """Simulate and analyse every trial of a chunk at once (same results as the reference)."""
    grid = visit_grid(design)
    t_count = draws.n_trials
    lead = grid.n_lead_in
    places, _ = patient_count(design)
    registry = design.control_source == "registry"
    subjects = places + (design.n_control if registry else 0)
    arm_place = place_arms(design, draws.allocation)
    rules = design.enrolment
    lead_months = grid.months[:lead]
    lead_dx = lead_months - lead_months.mean()  # as reference._eligible (analysis ols_slope)
    out = {
        "lead": np.empty((t_count, subjects)),
        "follow": np.empty((t_count, subjects)),
        "change": np.empty((t_count, subjects)),
        "treated": np.empty((t_count, subjects), dtype=bool),
        "control": np.empty((t_count, subjects), dtype=bool),
        "enrolled": np.empty(t_count, dtype=np.int64),
        "short": np.empty(t_count, dtype=bool),
        "totals": np.empty((t_count, subjects, grid.months.size)),
        "seen": np.zeros((t_count, subjects, grid.months.size), dtype=bool),
    }
    match = design.matching
    base_noise = draws.registry_baseline_noise
    shared = (
        places,
        arm_place,
        draws.follow_up_noise,
        design_exit_months(design, draws.exit),
        grid.entry_months,
        grid.months,
        arm_shifts(design, grid, effect),
        lead,
        model.noise_sd,
        np.nan if model.floor_start is None else float(model.floor_start),
        np.array(
            [
                rules.min_lead_in_decline,
                rules.max_lead_in_decline,
                rules.min_baseline_total,
                rules.max_months_since_onset,
            ],
            dtype=float,
        ),
        lead_dx,
        float(lead_dx @ lead_dx),
        draws.registry_values if registry else np.empty((8, 0)),
        np.empty((0, 0)) if base_noise is None else base_noise,
        draws.control_noise if registry else np.empty((0, 0, 0)),
        design.n_control,
        np.array([_COVARIATE_CODES[c] for c in match.covariates], dtype=np.int64),
        np.array(match.scales, dtype=float),
        *out.values(),
    )
    simulate_trials(np.arange(t_count), draws.candidate_values, draws.screening_noise, *shared)
    short = np.flatnonzero(out["short"])
    if short.size and draws.has_more_candidates:
        # Trials the first block did not fill screen on into their own further candidates
        # (``trials.more_candidates``), from the start: the first block gives the same again.
        blocks = [draws.trial(i).all_candidates() for i in short]
        people = np.concatenate([patient_matrix(p) for p, _ in blocks], axis=1)
        noise = np.stack([n for _, n in blocks])
        simulate_trials(short, people, noise, *shared)

    arm_treated, arm_control = out["treated"], out["control"]
    totals = np.where(out["seen"], out["totals"], np.nan)
    estimates, p_values = [], []
    for name, comparison in design.outcome_rows:
        # A multi-arm design compares each dose arm's subjects with the control's.
        treated = arm_treated
        if design.is_multi_arm:
            treated = arm_treated & (arm_place[:, : arm_treated.shape[1]] == comparison + 1)
        if ANALYSES[name].quantity == "visits":
            visits = ChunkVisits(grid.months, lead, totals, out["seen"], treated, arm_control)
            estimate, p_value = MODEL_ANALYSES[name].chunk(visits)
        elif adjusts(design, name):
            values = _values(name, out["lead"], out["follow"], out["change"])
            noise = score_noise(draws.seed, draws.chunk_index, t_count, subjects)
            target = analysis_target(design, name, effect)
            analysed = (treated | arm_control) & ~np.isnan(values)
            scores = prognostic_scores(
                values, treated, analysed, target, noise, design.prognostic_correlation
            )
            estimate, p_value = ancova_rows(values, treated, arm_control, scores)
        else:
            estimate, p_value = _analysis(
                name, out["lead"], out["follow"], out["change"], treated, arm_control
            )
        estimates.append(estimate)
        p_values.append(p_value)
    return ChunkOutcome(
        draws.first_trial,
        np.array(estimates),
        np.array(p_values),
        out["enrolled"],
        arm_control.sum(axis=1),
    )


def _analysis(name, lead_in, follow_up, change, treated, control):
    """(estimate, p_value) arrays over trials for one named analysis (``designs.ANALYSES``)."""
    spec = ANALYSES[name]
    if spec.quantity == "paired":
        estimate, p_value = paired_t_rows(follow_up - lead_in, treated)
        if spec.test == "rank":
            p_value = signed_rank_rows(follow_up - lead_in, treated)
        return estimate, p_value
    values = _values(name, lead_in, follow_up, change)
    estimate, p_value = welch_t_rows(values, treated, values, control)
    if spec.test == "rank":
        p_value = rank_sum_rows(values, treated, values, control)
    return estimate, p_value


def _values(name, lead_in, follow_up, change):
    """The per-subject values a between-arm analysis compares."""
    return {
        "follow_up_slope": follow_up,
        "slope_change": follow_up - lead_in,
        "change": change,
    }[ANALYSES[name].quantity]

"""The reference engine: one trial at a time, analysed by the analysis engine's own functions.

This is the readable definition of what a simulated trial is. For each trial of a chunk it
screens candidates in order (past the first block into the trial's own further candidates
when it must, ``TrialDraws.all_candidates``), enrols the first eligible ones, allocates them,
matches registry controls, writes the trial as the ``subjects.csv``/``visits.csv`` tables of
docs/interfaces.md, 'Analysis data', and runs the analysis engine on them: ``alstrial.analysis.
slopes.subject_slopes`` for the per-subject slopes and changes, and ``alstrial.analysis.tests``
(``paired_t``, ``welch_t``, ``wilcoxon_signed_rank``, ``mann_whitney``) for the test, or, for
an analysis that fits a model to the visits, its ``trial`` function (:mod:`.model_analyses`). It
favours plainness over speed: nothing in it works on more than one trial at a time. The
vectorized engine (:mod:`.vectorized`) must reach the same decisions from the same draws; the
tests hold it to that.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import statsmodels.api as sm

from alstrial.analysis.data import AnalysisData
from alstrial.analysis.settings import AnalysisSettings
from alstrial.analysis.slopes import ols_slope, subject_slopes
from alstrial.analysis.tests import mann_whitney, paired_t, welch_t, wilcoxon_signed_rank
from alstrial.domain.time import DAYS_PER_MONTH
from alstrial.simulation.designs import ANALYSES, Design
from alstrial.simulation.model_analyses import MODEL_ANALYSES
from alstrial.simulation.natural_history import NaturalHistory, Patients, expected_totals
from alstrial.simulation.prognostic import adjusts, prognostic_scores, score_noise
from alstrial.simulation.ranks import TIE_DECIMALS
from alstrial.simulation.results import analysis_target
from alstrial.simulation.trials import (
    ChunkDraws,
    ChunkOutcome,
    TrialDraws,
    VisitGrid,
    arm_shifts,
    design_exit_months,
    gone_mask,
    observed_totals,
    patient_count,
    place_arms,
    visit_grid,
)


def run_chunk_reference(
    design: Design, model: NaturalHistory, draws: ChunkDraws, effect: float
) -> ChunkOutcome:
    """Simulate and analyse every trial of a chunk, one by one."""
    n_analyses = len(design.outcome_rows)
    estimates = np.full((n_analyses, draws.n_trials), np.nan)
    p_values = np.full((n_analyses, draws.n_trials), np.nan)
    n_enrolled = np.zeros(draws.n_trials, dtype=int)
    n_controls = np.zeros(draws.n_trials, dtype=int)
    noise = None
    if design.prognostic_correlation:
        places = patient_count(design)[0]
        registry = design.n_control if design.control_source == "registry" else 0
        noise = score_noise(draws.seed, draws.chunk_index, draws.n_trials, places + registry)
    for i in range(draws.n_trials):
        subjects, visits = simulate_trial(design, model, draws.trial(i), effect)
        if noise is not None:
            subjects = _with_scores(design, subjects, visits, effect, noise[i])
        n_enrolled[i] = int((subjects["subject_id"].str.startswith("S")).sum())
        n_controls[i] = int((subjects["arm"] == "control").sum())
        for a, outcome in enumerate(analyse_trial(design, subjects, visits)):
            estimates[a, i], p_values[a, i] = outcome
    return ChunkOutcome(draws.first_trial, estimates, p_values, n_enrolled, n_controls)


def simulate_trial(
    design: Design, model: NaturalHistory, draws: TrialDraws, effect: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One trial as ``(subjects, visits)`` frames in the analysis-data format.

    Enrolled subjects are ``S001``..; registry controls ``R001``.. (matched in treated order).
    """
    grid = visit_grid(design)
    lead = grid.n_lead_in
    sd = model.noise_sd
    places, _ = patient_count(design)
    cands, screening_noise = draws.candidates, draws.screening_noise
    enrolled = _screen(design, model, grid, cands, screening_noise, places)
    if len(enrolled) < places and draws.more is not None:
        # The first block did not fill the places: screen on into the trial's own candidates.
        cands, screening_noise = draws.all_candidates()
        enrolled = _screen(design, model, grid, cands, screening_noise, places)
    expected = expected_totals(cands, grid.entry_months)
    gone = gone_mask(cands, grid.entry_months)

    # Randomized allocation (trials.place_arms): 0 the control, k >= 1 dose arm k.
    arms = place_arms(design, draws.allocation)
    shifts = arm_shifts(design, grid, effect)
    exits = design_exit_months(design, draws.exit)
    subjects, visits = [], []
    treated_baselines: list[tuple[int, float]] = []
    for k, j in enumerate(enrolled):
        treated = arms[k] > 0
        noise = np.concatenate([screening_noise[j], draws.follow_up_noise[k]])
        totals = observed_totals(expected[j] + sd * noise, shifts[arms[k]] if treated else 0.0)
        if treated:
            treated_baselines.append((j, totals[grid.baseline]))
        seen = ~gone[j] & ~(grid.months > exits[k])
        sid = f"S{k + 1:03d}"
        subjects.append(_subject_row(sid, "treated" if treated else "control", cands, j, grid))
        if design.is_multi_arm:
            subjects[-1]["dose_arm"] = int(arms[k])
        visits.extend(_visit_rows(sid, grid, totals, seen))

    if design.control_source == "registry" and draws.registry is not None:
        reg = draws.registry
        reg_expected = expected_totals(reg, grid.entry_months)
        baseline_noise = draws.registry_baseline_noise  # None unless matched on baseline
        reg_baseline = None
        if baseline_noise is not None:
            reg_baseline = observed_totals(reg_expected[:, grid.baseline] + sd * baseline_noise)
        reg_gone = gone_mask(reg, grid.entry_months)
        followed = ~reg_gone[:, :lead].any(axis=1)  # seen at every lead-in visit
        matches = _greedy_match(design, cands, treated_baselines, reg, reg_baseline, followed)
        for m, r in enumerate(matches):
            noise = draws.control_noise[m].copy()
            if baseline_noise is not None:
                noise[grid.baseline] = baseline_noise[r]  # the baseline it was matched on
            totals = observed_totals(reg_expected[r] + sd * noise)
            sid = f"R{m + 1:03d}"
            subjects.append(_subject_row(sid, "control", reg, r, grid))
            visits.extend(_visit_rows(sid, grid, totals, ~reg_gone[r]))
    return pd.DataFrame(subjects), pd.DataFrame(
        visits, columns=["subject_id", "day", "alsfrs_r_total"]
    )


def _screen(design, model, grid, cands, screening_noise, places) -> list[int]:
    """Candidates enrolled, in screening order: the first ``places`` eligible ones."""
    expected = expected_totals(cands, grid.entry_months[: grid.n_lead_in])
    gone = gone_mask(cands, grid.entry_months)
    enrolled: list[int] = []
    for j in range(len(cands)):
        if len(enrolled) == places:
            break
        screening = observed_totals(expected[j] + model.noise_sd * screening_noise[j])
        if _eligible(design, grid, cands, screening, gone[j], j):
            enrolled.append(j)
    return enrolled


def _eligible(
    design: Design,
    grid: VisitGrid,
    cands: Patients,
    screening: np.ndarray,
    gone: np.ndarray,
    j: int,
) -> bool:
    """The enrolment rules of the design, checked at baseline for candidate ``j`` from its
    lead-in totals ``screening``."""
    rules = design.enrolment
    lead = slice(0, grid.n_lead_in)
    if gone[lead].any():  # every lead-in visit must have happened
        return False
    if grid.n_lead_in >= 2:
        decline = -ols_slope(grid.months[lead], screening)
        if not rules.min_lead_in_decline <= decline <= rules.max_lead_in_decline:
            return False
    if screening[-1] < rules.min_baseline_total:
        return False
    onset_months = cands.months_since_onset[j] + grid.entry_months[grid.baseline]
    return onset_months <= rules.max_months_since_onset


def _covariates(design: Design, people: Patients, j: int, baseline_total: float) -> list[float]:
    """Matching covariates of person ``j``, each divided by its scale (``baseline_total``: the
    observed baseline total)."""
    values = {
        "age_years": people.age_years[j],
        "months_since_onset": people.months_since_onset[j],
        "baseline_total": baseline_total,
    }
    match = design.matching
    return [values[c] / scale for c, scale in zip(match.covariates, match.scales, strict=True)]


def _greedy_match(design, cands, treated_baselines, reg, reg_baseline, followed) -> list[int]:
    """Registry rows matched to the treated, in enrolment order, nearest unused first."""
    usable = list(followed)
    reg_covariates = [
        _covariates(design, reg, r, None if reg_baseline is None else reg_baseline[r])
        for r in range(len(reg))
    ]
    matches: list[int] = []
    for j, baseline_total in treated_baselines[: design.n_control]:
        mine = _covariates(design, cands, j, baseline_total)
        best, best_distance = -1, math.inf
        for r in range(len(reg)):
            if not usable[r]:
                continue
            distance = 0.0
            for x, y in zip(mine, reg_covariates[r], strict=True):
                distance += (x - y) ** 2
            if distance < best_distance:  # strict: the lowest index wins a tie
                best, best_distance = r, distance
        if best < 0:
            break
        usable[best] = False
        matches.append(best)
    return matches


def _with_scores(design, subjects, visits, effect, noise) -> pd.DataFrame:
    """The subjects with a ``score_<analysis>`` column per adjusted analysis: the prognostic
    score of :mod:`.prognostic` from the analysis engine's per-subject values, ``noise`` taken
    by place (``S001`` place 0, registry ``R001`` after the enrolled places)."""
    table = _slope_table(design, subjects, visits).set_index("subject_id")
    places = patient_count(design)[0]
    place = subjects["subject_id"].map(
        lambda sid: int(sid[1:]) - 1 + (places if sid.startswith("R") else 0)
    )
    treated = (subjects["arm"] == "treated").to_numpy()
    subjects = subjects.copy()
    for name in design.analyses:
        if not adjusts(design, name):
            continue
        values = _subject_values(name, table.reindex(subjects["subject_id"]))
        analysed = ~np.isnan(values)
        scores = prognostic_scores(
            values[None, :],
            treated[None, :],
            analysed[None, :],
            analysis_target(design, name, effect),
            noise[place.to_numpy()][None, :],
            design.prognostic_correlation,
        )
        subjects[f"score_{name}"] = scores[0]
    return subjects


def _subject_values(name: str, table: pd.DataFrame) -> np.ndarray:
    """The per-subject values a between-arm analysis compares (analysis engine's table)."""
    quantity = ANALYSES[name].quantity
    if quantity == "slope_change":
        return (table["follow_up_slope"] - table["lead_in_slope"]).to_numpy(dtype=float)
    return table[quantity].to_numpy(dtype=float)


def _slope_table(design: Design, subjects: pd.DataFrame, visits: pd.DataFrame) -> pd.DataFrame:
    """The analysis engine's per-subject slopes and changes of a trial."""
    columns = ["subject_id", "arm", "age_years", "sex", "onset_site", "onset_day", "index_day"]
    columns.append("death_day")
    data = AnalysisData.from_frames(subjects[columns], visits)
    settings = AnalysisSettings(follow_up_days=int(visit_grid(design).days[-1]))
    return subject_slopes(data, settings).table


def _ancova(values: np.ndarray, treated: np.ndarray, scores: np.ndarray) -> tuple[float, float]:
    """One trial's ANCOVA ``value ~ 1 + treated + score`` by statsmodels OLS: the treated
    coefficient and its two-sided t-test p-value (NaN with fewer than 2 subjects in an arm)."""
    keep = ~np.isnan(values) & ~np.isnan(scores)
    if treated[keep].sum() < 2 or (~treated[keep]).sum() < 2:
        return math.nan, math.nan
    design_matrix = np.column_stack([np.ones(keep.sum()), treated[keep], scores[keep]])
    fit = sm.OLS(values[keep], design_matrix).fit()
    return float(fit.params[1]), float(fit.pvalues[1])


def _subject_row(sid: str, arm: str, people: Patients, j: int, grid: VisitGrid) -> dict:
    entry_day = int(grid.days[0])
    death = people.death_month[j]
    # The first whole day on or after death (every kept visit falls before it), recorded only
    # when it falls within the trial: a trial does not know of a death after its last visit.
    death_day = entry_day + math.ceil(death * DAYS_PER_MONTH) if np.isfinite(death) else None
    if death_day is not None and death_day > grid.days[-1]:
        death_day = None
    return {
        "subject_id": sid,
        "arm": arm,
        "age_years": round(float(people.age_years[j]), 6),
        "sex": "M" if people.male[j] else "F",
        "onset_site": "bulbar" if people.bulbar_onset[j] else "spinal",
        "onset_day": entry_day - round(float(people.months_since_onset[j]) * DAYS_PER_MONTH),
        "index_day": 0,
        "death_day": death_day,
    }


def _visit_rows(sid: str, grid: VisitGrid, totals: np.ndarray, seen: np.ndarray) -> list[dict]:
    return [
        {"subject_id": sid, "day": int(day), "alsfrs_r_total": int(total)}
        for day, total, ok in zip(grid.days, totals, seen, strict=True)
        if ok
    ]


def analyse_trial(
    design: Design, subjects: pd.DataFrame, visits: pd.DataFrame
) -> list[tuple[float, float]]:
    """``(estimate, p_value)`` of each of the design's analyses of a trial (primary first), by
    the analysis engine; a multi-arm design's subjects carry their ``dose_arm`` and each
    analysis is run on each dose arm with the control (``Design.outcome_rows``). An estimate is
    NaN when a group has fewer than 2 values (the tests' minimum)."""
    if design.is_multi_arm:
        outcomes = {}
        for k in range(len(design.comparisons)):
            keep = subjects["dose_arm"].isin([0, k + 1])
            pair = subjects[keep].drop(columns="dose_arm")
            pair_visits = visits[visits["subject_id"].isin(pair["subject_id"])]
            for name, outcome in zip(
                design.analyses, _analyses(design, pair, pair_visits), strict=True
            ):
                outcomes[name, k] = outcome
        return [outcomes[row] for row in design.outcome_rows]
    return _analyses(design, subjects, visits)


def _analyses(
    design: Design, subjects: pd.DataFrame, visits: pd.DataFrame
) -> list[tuple[float, float]]:
    """``(estimate, p_value)`` of each of the design's analyses of a two-arm trial; a design
    with a prognostic score adjusts its between-arm t analyses for it (:mod:`.prognostic`)."""
    scores = subjects.filter(like="score_").set_index(subjects["subject_id"])
    subjects = subjects.drop(columns=scores.columns)
    data = AnalysisData.from_frames(subjects, visits)
    settings = AnalysisSettings(follow_up_days=int(visit_grid(design).days[-1]))
    table = subject_slopes(data, settings).table
    treated = table[table["arm"] == "treated"]
    control = table[table["arm"] == "control"]
    outcomes = []
    for name in design.analyses:
        if ANALYSES[name].quantity == "visits":
            outcomes.append(MODEL_ANALYSES[name].trial(design, subjects, visits))
        elif adjusts(design, name):
            outcomes.append(
                _ancova(
                    _subject_values(name, table),
                    (table["arm"] == "treated").to_numpy(),
                    scores[f"score_{name}"].reindex(table["subject_id"]).to_numpy(dtype=float),
                )
            )
        else:
            outcomes.append(_one_analysis(name, treated, control))
    return outcomes


def _one_analysis(analysis: str, treated: pd.DataFrame, control: pd.DataFrame):
    """(estimate, p-value) of one analysis; the estimate is the mean difference.

    Rank tests get their values rounded to ``ranks.TIE_DECIMALS`` so that slopes equal in exact
    arithmetic tie in both engines (see :mod:`.ranks`).
    """
    spec = ANALYSES[analysis]
    if spec.quantity == "paired":
        after = treated["follow_up_slope"].to_numpy(dtype=float)
        before = treated["lead_in_slope"].to_numpy(dtype=float)
        differences = (after - before)[~np.isnan(after - before)]
        estimate = differences.mean() if differences.size >= 2 else math.nan
        if spec.test == "t":
            return float(estimate), paired_t(after, before).p_value
        rounded = np.round(differences, TIE_DECIMALS)
        return float(estimate), wilcoxon_signed_rank(rounded, np.zeros(rounded.size)).p_value
    if spec.quantity == "slope_change":
        x = (treated["follow_up_slope"] - treated["lead_in_slope"]).to_numpy(dtype=float)
        y = (control["follow_up_slope"] - control["lead_in_slope"]).to_numpy(dtype=float)
    else:
        x = treated[spec.quantity].to_numpy(dtype=float)
        y = control[spec.quantity].to_numpy(dtype=float)
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    estimate = x.mean() - y.mean() if x.size >= 2 and y.size >= 2 else math.nan
    if spec.test == "t":
        return float(estimate), welch_t(x, y).p_value
    p_value = mann_whitney(np.round(x, TIE_DECIMALS), np.round(y, TIE_DECIMALS)).p_value
    return float(estimate), p_value

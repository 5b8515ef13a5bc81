"""Writes training.csv: the prognostic model's registry training set (synthetic registry of 800
patients, seed 7; time point day 90, window 76-90) with the cross-fitting fold of each patient;
and scores_balanced.csv: the prognostic score (no lead-in slope; time point day 183, window
176-190) of the subjects of tests/reference/randomised/balanced, for the ANCOVA reference.
Run from the repository root: .venv/bin/python tests/reference/prognostic/make_training.py
Then: Rscript tests/reference/prognostic/prognostic_r.R"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alstrial.analysis.data import read_analysis_data
from alstrial.analysis.prognostic import (
    PROGNOSTIC_COVARIATES,
    fit_prognostic_model,
    prognostic_score,
    registry_training_set,
)
from alstrial.analysis.registry_pool import control_pool
from alstrial.analysis.settings import AnalysisSettings
from alstrial.registry.proact import read_registry
from alstrial.registry.synth import synthesize, write_proact

HERE = Path(__file__).parent
BALANCED = HERE.parent / "randomised" / "balanced"
#: The randomised reference trial is seen only at baseline before randomisation: no lead-in.
RANDOMISED_COVARIATES = tuple(c for c in PROGNOSTIC_COVARIATES if c != "lead_in_slope")
RANDOMISED_SETTINGS = AnalysisSettings(
    follow_up_days=190, time_point_days=183, time_point_window_before_days=7
)


def synthetic_registry():
    with tempfile.TemporaryDirectory() as folder:
        write_proact(synthesize(800, seed=7), folder)
        return read_registry(folder)


def balanced_scores(registry):
    data = read_analysis_data(BALANCED / "subjects.csv", BALANCED / "visits.csv")
    return prognostic_score(
        data.subjects, data.visits, registry, RANDOMISED_SETTINGS, RANDOMISED_COVARIATES
    )


def training_frame(registry):
    settings = AnalysisSettings()
    pool = control_pool(registry, 90, settings.follow_up_days, 14, settings.days_per_month)
    training = registry_training_set(pool, settings)
    folds = fit_prognostic_model(training).held_out["fold"]
    return training.assign(fold=folds.to_numpy())


if __name__ == "__main__":
    registry = synthetic_registry()
    training_frame(registry).to_csv(HERE / "training.csv", index=False, float_format="%.17g")
    scores = balanced_scores(registry).scores[["subject_id", "prognostic_score"]]
    scores.to_csv(HERE / "scores_balanced.csv", index=False, float_format="%.17g")

"""Writes training.csv: the prognostic model's registry training set (synthetic registry of 800
patients, seed 7; time point day 90, window 76-90) with the cross-fitting fold of each patient.
Run from the repository root: .venv/bin/python tests/reference/prognostic/make_training.py
Then: Rscript tests/reference/prognostic/prognostic_r.R"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alstrial.analysis.prognostic import fit_prognostic_model, registry_training_set
from alstrial.analysis.registry_pool import control_pool
from alstrial.analysis.settings import AnalysisSettings
from alstrial.registry.proact import read_registry
from alstrial.registry.synth import synthesize, write_proact

HERE = Path(__file__).parent


def training_frame():
    with tempfile.TemporaryDirectory() as folder:
        write_proact(synthesize(800, seed=7), folder)
        registry = read_registry(folder)
    settings = AnalysisSettings()
    pool = control_pool(registry, 90, settings.follow_up_days, 14, settings.days_per_month)
    training = registry_training_set(pool, settings)
    folds = fit_prognostic_model(training).held_out["fold"]
    return training.assign(fold=folds.to_numpy())


if __name__ == "__main__":
    training_frame().to_csv(HERE / "training.csv", index=False, float_format="%.17g")

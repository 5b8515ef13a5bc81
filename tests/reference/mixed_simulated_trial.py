"""Write a simulated trial of the shipped ``msc_rct`` design as an lme4 reference case (run once;
the output is checked in), then ``Rscript tests/reference/mixed_lme4.R``.

    .venv/bin/python tests/reference/mixed_simulated_trial.py

``mixed/msc_rct_trial_seed5.csv``: the windowed visits (``subject_id, arm, t,
alsfrs_r_total``) of trial 0 of chunk 0, seed 5, effect +0.3 points/month, with the design's
dropout raised to 5% per month: the protocol's ten visit days, 60 subjects, missed visits after
dropout and death: the data the simulator's mixed model fits.
"""

from __future__ import annotations

from pathlib import Path

from alstrial.analysis.data import AnalysisData
from alstrial.analysis.settings import AnalysisSettings
from alstrial.analysis.slopes import windowed_visits
from alstrial.simulation.designs import load_design
from alstrial.simulation.natural_history import NaturalHistory
from alstrial.simulation.reference import simulate_trial
from alstrial.simulation.trials import draw_chunk, visit_grid

HERE = Path(__file__).parent


def main() -> None:
    design = load_design("msc_rct").with_changes(dropout_per_month=0.05)
    model = NaturalHistory.literature()
    draws = draw_chunk(design, model, seed=5, chunk_index=0, n_trials=1)
    subjects, visits = simulate_trial(design, model, draws.trial(0), effect=0.3)
    settings = AnalysisSettings(follow_up_days=int(visit_grid(design).days[-1]))
    windowed, _ = windowed_visits(AnalysisData.from_frames(subjects, visits), settings)
    columns = ["subject_id", "arm", "t", "alsfrs_r_total"]
    out = HERE / "mixed" / "msc_rct_trial_seed5.csv"
    windowed[columns].to_csv(out, index=False, float_format="%.17g")


if __name__ == "__main__":
    main()

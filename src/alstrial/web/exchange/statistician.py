"""The statisticians' CSV export, respecting site permissions.

``write_statistician_csv(trial, out_dir, user=...)``: the tidy per-form files
(``alstrial.exchange.csv_export``) and the analysis files of INTERFACES.md (``subjects.csv``,
``visits.csv`` from ``alstrial.web.trials.analysis_data.analysis_frames``, with the item
columns), for the sites where ``user`` holds an analysis role; ``user=None`` (the command line,
an administrator) exports every site, or ``site_ids`` only. De-identified: pseudonymous codes
and study days only.
"""

from __future__ import annotations

from pathlib import Path

from alstrial.exchange.csv_export import write_tidy_csv
from alstrial.web.exchange.extract import allowed_site_ids, trial_data
from alstrial.web.trials.analysis_data import analysis_frames


def write_statistician_csv(trial, out_dir, *, user=None, site_ids=None) -> list[Path]:
    sites = allowed_site_ids(trial, user, site_ids)
    out = Path(out_dir)
    written = write_tidy_csv(trial_data(trial, site_ids=sites), out)
    subjects, visits = analysis_frames(trial, items=True, site_ids=sites)
    for name, frame in (("subjects", subjects), ("visits", visits)):
        path = out / f"{name}.csv"
        frame.to_csv(path, index=False)
        written.append(path)
    return written

"""The statisticians' CSV export, respecting site permissions.

``write_statistician_csv(trial, out_dir, user=...)``: the tidy per-form files
(``alstrial.exchange.csv_export``) and the analysis files of docs/interfaces.md, 'Analysis data'
(``subjects.csv``, ``visits.csv`` from ``alstrial.web.trials.analysis_data.analysis_frames``, with
the item columns), for the sites where ``user`` holds an analysis role; ``user=None`` (the command
line, an administrator) exports every site, or ``site_ids`` only. De-identified: pseudonymous codes,
study days and coded terms only. All or nothing (written into a temporary folder moved into
place when complete); every cell safe for spreadsheets.
"""

from __future__ import annotations

from pathlib import Path

from alstrial.exchange.csv_export import write_tidy_csv
from alstrial.exchange.spreadsheet import write_csv
from alstrial.exchange.staging import final_paths, staged_folder
from alstrial.web.exchange.extract import allowed_site_ids, trial_data
from alstrial.web.trials.analysis_data import analysis_frames


def write_statistician_csv(trial, out_dir, *, user=None, site_ids=None) -> list[Path]:
    sites = allowed_site_ids(trial, user, site_ids)
    data = trial_data(trial, site_ids=sites)
    subjects, visits = analysis_frames(trial, items=True, site_ids=sites)
    with staged_folder(out_dir) as folder:
        written = write_tidy_csv(data, folder)
        for name, frame in (("subjects", subjects), ("visits", visits)):
            path = folder / f"{name}.csv"
            write_csv(frame, path)
            written.append(path)
    return final_paths(written, folder, out_dir)

"""A trial's analysis outputs from the database: the analysis data, tables and the report.

One function, :func:`write_trial_outputs`, serves ``alstrial report --trial``, ``alstrial demo``
and the report button, so the command line and the web app always produce the same report.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

#: The protocol's lead-in slope names (DOMAIN.md section 3) as the analysis settings spell them.
PRE_SLOPE = {"ols": "ols", "two_point": "two_point", "onset_anchored": "onset"}


def analysis_settings(trial):
    """The analysis settings the trial's protocol declares (follow-up days, lead-in slope)."""
    from alstrial.analysis.settings import AnalysisSettings

    declared = trial.protocol.analysis
    return AnalysisSettings(
        follow_up_days=declared.follow_up_days, pre_slope=PRE_SLOPE[declared.lead_in_slope]
    )


def screening_summary(trial) -> dict:
    """``{"screened": n, "reasons": {criterion: n}}`` for the report's study flow."""
    from alstrial.web.subjects.models import Subject

    reasons: Counter = Counter()
    subjects = Subject.objects.filter(trial=trial)
    for findings in subjects.filter(eligible=False).values_list("eligibility_findings", flat=True):
        reasons.update(f["label"] for f in findings if f.get("passed") is False)
    return {"screened": subjects.count(), "reasons": dict(reasons)}


def with_registry(data, registry: Path, settings):
    """The trial's data plus registry controls matched to its treated subjects.

    Raises ``ValueError`` naming the registry when it cannot be read or matched, and when the
    trial already has its own control arm (external and concurrent controls are never mixed).
    """
    from alstrial.analysis.controls import with_registry_controls
    from alstrial.registry.proact import read_registry

    if (data.subjects["arm"] == "control").any():
        raise ValueError(
            "the trial already has control subjects; registry controls are drawn only for "
            "single-arm trials, never mixed with concurrent controls"
        )
    return with_registry_controls(data, read_registry(registry), settings)


def write_trial_outputs(trial, out: Path, registry: Path | None = None) -> list[Path]:
    """The trial's analysis data (``data/subjects.csv``, ``data/visits.csv``), the analysis
    tables, and the HTML/PDF report with the trial's safety tables, all in ``out``.

    Settings come from the trial's protocol; ``registry`` (a PRO-ACT folder) adds matched
    external controls. Returns the files written.
    """
    from alstrial.analysis.data import read_analysis_data
    from alstrial.analysis.efficacy import analyse
    from alstrial.analysis.output import write_outputs
    from alstrial.analysis.report import build_report
    from alstrial.web.safety.board import trial_report_tables
    from alstrial.web.trials.analysis_data import write_analysis_csv

    out = Path(out)
    subjects_csv, visits_csv = write_analysis_csv(trial, out / "data")
    settings = analysis_settings(trial)
    data = read_analysis_data(subjects_csv, visits_csv)
    matching = None
    if registry is not None:
        data, matching = with_registry(data, registry, settings)
    result = analyse(data, settings, matching=matching)
    written = [subjects_csv, visits_csv, *write_outputs(result, data, out)]
    paths = build_report(
        result,
        data,
        out,
        title=trial.title,
        trial=trial.slug,
        screening=screening_summary(trial),
        safety=trial_report_tables(trial),
    )
    written.extend([paths.html, *([paths.pdf] if paths.pdf else [])])
    return written

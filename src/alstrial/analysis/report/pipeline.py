"""From analysis frames to the report in one call, for callers that hold DataFrames.

The web page's "report" button and ``alstrial report --trial`` turn the database into the
analysis-CSV frames (INTERFACES.md "Analysis data") and call :func:`report_from_frames`; it
validates them exactly as the CSV reader does, draws registry controls when a registry is given,
runs the efficacy analysis and writes the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from alstrial.analysis.controls import matched_controls
from alstrial.analysis.data import AnalysisData
from alstrial.analysis.efficacy import analyse
from alstrial.analysis.matching import Matcher
from alstrial.analysis.report.build import ReportPaths, build_report
from alstrial.analysis.settings import AnalysisSettings
from alstrial.domain.errors import FieldError


def with_registry_controls(
    data: AnalysisData,
    registry: Any,
    settings: AnalysisSettings,
    matcher: Matcher | None = None,
) -> tuple[AnalysisData, Any]:
    """The trial's treated subjects plus registry controls matched to them, and the matching.

    A trial that already has a control arm is refused: mixing the trial's own controls with
    registry controls would make one arm of two different kinds of patients.
    """
    if (data.subjects["arm"] == "control").any():
        raise FieldError(
            "arm",
            "the trial already has control subjects; registry controls replace a control "
            "arm, they are never mixed with one",
        )
    control_subjects, control_visits, matching = matched_controls(
        data.subjects,
        data.visits,
        registry,
        matcher=matcher,
        follow_up_days=settings.follow_up_days,
        days_per_month=settings.days_per_month,
    )
    controls = AnalysisData.from_frames(
        control_subjects,
        control_visits,
        "registry controls (subjects)",
        "registry controls (visits)",
    )
    return data.combine(controls), matching


def report_from_frames(
    subjects: pd.DataFrame,
    visits: pd.DataFrame,
    out: str | Path,
    *,
    registry: Any = None,
    matcher: Matcher | None = None,
    settings: AnalysisSettings | None = None,
    safety: Mapping[str, pd.DataFrame] | None = None,
    screening: Mapping[str, Any] | None = None,
    title: str = "ALSFRS-R efficacy report",
    trial: str = "",
    pdf: bool = True,
) -> ReportPaths:
    """Validate, (match,) analyse and report; see :func:`.build.build_report` for the output.

    Raises :class:`alstrial.analysis.data.AnalysisDataError` (every bad value, by row and
    column) or :class:`FieldError` before anything is written.
    """
    settings = settings or AnalysisSettings()
    data = AnalysisData.from_frames(subjects, visits)
    matching = None
    if registry is not None:
        data, matching = with_registry_controls(data, registry, settings, matcher)
    result = analyse(data, settings, matching=matching)
    return build_report(
        result, data, out, title=title, trial=trial, safety=safety, screening=screening, pdf=pdf
    )

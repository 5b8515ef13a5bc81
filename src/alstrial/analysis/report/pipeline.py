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

from alstrial.analysis.controls import with_registry_controls
from alstrial.analysis.data import AnalysisData
from alstrial.analysis.efficacy import analyse
from alstrial.analysis.matching import Matcher
from alstrial.analysis.report.build import ReportPaths, build_report
from alstrial.analysis.settings import AnalysisSettings


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

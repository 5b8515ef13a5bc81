"""The trial report: HTML and PDF rendered from the analysis result objects.

Entry points: :func:`build_report` (from an efficacy result, see :mod:`.build`) and
:func:`report_from_frames` (from analysis frames, see :mod:`.pipeline`); both return
:class:`ReportPaths`.
"""

from alstrial.analysis.report.build import ReportPaths, build_report
from alstrial.analysis.report.pipeline import report_from_frames

__all__ = ["ReportPaths", "build_report", "report_from_frames"]

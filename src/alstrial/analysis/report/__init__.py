"""The trial report: HTML and PDF rendered from the analysis result objects.

Entry point: :func:`build_report` (see :mod:`.build`); it returns :class:`ReportPaths`.
"""

from alstrial.analysis.report.build import ReportPaths, build_report

__all__ = ["ReportPaths", "build_report"]

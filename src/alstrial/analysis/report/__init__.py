"""The trial report: HTML and PDF rendered from the analysis result objects.

Entry point: :func:`build_report` (from an efficacy result, see :mod:`.build`), which returns
:class:`ReportPaths`; the analysis pipeline (:func:`alstrial.analysis.pipeline.run_pipeline`)
is its one caller.
"""

from alstrial.analysis.report.build import ReportPaths, build_report

__all__ = ["ReportPaths", "build_report"]

"""Build the trial report (HTML and PDF) from the analysis result objects.

:func:`build_report` is the one entry point: the ``alstrial report`` and ``alstrial analyse
--report`` commands and the web page's button all call it with an
:class:`~alstrial.analysis.efficacy.EfficacyResult`, the
:class:`~alstrial.analysis.data.AnalysisData` it was computed from and, optionally, the safety
tables and the screening counts. Everything is written to a staging folder beside ``out`` and
moved in only when the HTML, the figures and the PDF are all written: a failure leaves nothing
half-written.
"""

from __future__ import annotations

import base64
import datetime as dt
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from alstrial import __version__
from alstrial.analysis.data import AnalysisData
from alstrial.analysis.efficacy import EfficacyResult
from alstrial.analysis.figures import paired_slopes_figure, trajectories_figure
from alstrial.analysis.report import registry_tables as rt
from alstrial.analysis.report import tables as t
from alstrial.analysis.report.deidentify import deidentified_tables
from alstrial.analysis.report.figures import love_plot
from alstrial.analysis.report.flow import study_flow
from alstrial.analysis.report.honesty import NaturalHistoryCheck, natural_history_check
from alstrial.analysis.report.planned import planned_view
from alstrial.analysis.slopes import windowed_visits

TEMPLATES = Path(__file__).parent / "templates"
HTML_NAME = "report.html"
PDF_NAME = "report.pdf"
FIGURES_DIR = "figures"


@dataclass(frozen=True)
class ReportPaths:
    """Where the report was written: ``html``, ``pdf`` (None when not asked) and ``figures``."""

    html: Path
    pdf: Path | None
    figures: tuple[Path, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "html": str(self.html),
            "pdf": None if self.pdf is None else str(self.pdf),
            "figures": [str(p) for p in self.figures],
        }


def build_report(
    result: EfficacyResult,
    data: AnalysisData,
    out: str | Path,
    *,
    title: str = "ALSFRS-R efficacy report",
    trial: str = "",
    safety: Mapping[str, pd.DataFrame] | None = None,
    screening: Mapping[str, Any] | None = None,
    natural_history: NaturalHistoryCheck | None = None,
    pdf: bool = True,
    generated_at: dt.datetime | None = None,
    deidentified: bool = False,
    time_zone: str | None = None,
    plan: Mapping[str, Any] | None = None,
) -> ReportPaths:
    """Render the report of ``result`` into ``out`` (created) and return the paths.

    ``safety``: titled safety tables (e.g. from :mod:`alstrial.analysis.safety_tables`), shown
    as given; moments in them (``awareness_at``) in each row's ``time_zone`` column, else in
    ``time_zone`` (IANA name; the site's), else UTC. ``screening``: ``{"screened": n,
    "reasons": {reason: n}}`` for the study flow (the database knows it; analysis files do
    not). ``natural_history`` defaults to the check computed from ``result.matching`` when
    registry controls were matched. ``deidentified``: for a de-identified reader (the
    statistician): no listings, no calendar dates or moments, no free text
    (:mod:`.deidentify`), and no generation date. ``plan``: the result's ``analysis_plan``
    (:func:`alstrial.analysis.plan.plan_record`): the report then opens with the pre-specified
    primary, then the secondaries, the lock's hash and time and any deviation, and labels the
    rest exploratory (docs/report.md, "The primary first").
    """
    out = Path(out)
    if deidentified:
        safety = deidentified_tables(safety or {})
    matching = getattr(result, "matching", None)
    if natural_history is None and matching is not None and matching.pool is not None:
        natural_history = natural_history_check(matching, result.settings.confidence)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".alstrial-report-", dir=out.parent))
    try:
        figures = _write_figures(result, data, matching, staging / FIGURES_DIR)
        context = _context(result, data, matching, natural_history, screening, figures)
        stamp = (generated_at or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
        context["safety"] = [
            t.frame_table(name, frame, key=f"safety-{i}", time_zone=time_zone)
            for i, (name, frame) in enumerate((safety or {}).items())
        ]
        context.update(
            plan=None if plan is None else planned_view(plan),
            title=title,
            trial=trial,
            generated_at="" if deidentified else stamp,
            deidentified=deidentified,
            version=__version__,
        )
        html = _render(context)
        (staging / HTML_NAME).write_text(html, encoding="utf-8")
        if pdf:
            # WeasyPrint (about 0.7 s to import, with its own native libraries) loads only
            # when a PDF is asked for.
            from weasyprint import HTML

            HTML(string=html, base_url=str(staging)).write_pdf(staging / PDF_NAME)
        out.mkdir(parents=True, exist_ok=True)
        target_figures = out / FIGURES_DIR
        target_figures.mkdir(exist_ok=True)
        moved = []
        for path in sorted((staging / FIGURES_DIR).iterdir()):
            moved.append(path.replace(target_figures / path.name))
        (staging / HTML_NAME).replace(out / HTML_NAME)
        if pdf:
            (staging / PDF_NAME).replace(out / PDF_NAME)
        return ReportPaths(
            html=out / HTML_NAME, pdf=out / PDF_NAME if pdf else None, figures=tuple(moved)
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _save(figure, folder: Path, name: str) -> str:
    """Write ``figures/<name>.svg`` and return it as a data URI, so that ``report.html`` is one
    self-contained file (it can be mailed, archived or served alone)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.svg"
    figure.savefig(path, bbox_inches="tight")
    plt.close(figure)
    return "data:image/svg+xml;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _write_figures(result, data, matching, folder: Path) -> dict[str, str]:
    visits, _ = windowed_visits(data, result.settings)
    figures = {
        "trajectories": _save(trajectories_figure(visits), folder, "trajectories"),
        "paired_slopes": _save(paired_slopes_figure(result.slopes.table), folder, "paired_slopes"),
    }
    if matching is not None:
        figures["love_plot"] = _save(love_plot(matching.balance), folder, "love_plot")
    return figures


def _context(result, data, matching, check, screening, figures) -> dict[str, Any]:
    efficacy = t.efficacy_table(result)
    context: dict[str, Any] = {
        "settings": t.settings_rows(result, _matching_settings(matching)),
        "flow": study_flow(result, data, screening, matching),
        "baseline": t.baseline_table(data, result),
        "efficacy": efficacy,
        "between_arms": t.between_arms_table(result),
        "kim": t.kim_table(result),
        "cafs": t.cafs_table(result),
        "mixed": t.mixed_model_table(result),
        "responders": t.responders_table(result),
        "exclusions": t.exclusions_table(result),
        "figures": figures,
        "arms": result.arms,
        "has_controls": result.arms["control"].n > 0,
        "matching": None,
        "natural_history": None,
        "days_per_month": result.settings.days_per_month,
        "follow_up_days": result.settings.follow_up_days,
        "pre_slope": result.settings.pre_slope,
    }
    if matching is not None:
        context["matching"] = {
            "settings": rt.matcher_rows(matching),
            "flow": rt.registry_flow_table(matching),
            "balance": rt.balance_view(matching),
            "unmatched": rt.unmatched_table(matching),
            "pairs": rt.pairs_table(matching),
            "imbalanced": matching.balance.messages(),
        }
    if check is not None:
        context["natural_history"] = {
            "table": rt.natural_history_table(check),
            "all": check.row("registry_all"),
            "matched": check.row("registry_matched"),
            "fast": check.row("registry_fast"),
            "dropout": check.dropout,
        }
    context["treated_shift"] = result.arms["treated"].slope_difference
    context["fmt"] = t.number
    context["p_equals"] = t.p_equals
    return context


def _matching_settings(matching) -> dict[str, str]:
    if matching is None:
        return {}
    s = matching.settings
    return {
        "Registry lead-in / follow-up": f"{s['lead_in_days']} / {s['follow_up_days']} days "
        f"(visit window ±{s['window_days']} days)",
        "Registry index day": s["index_rule"],
    }


def _render(context: dict[str, Any]) -> str:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,  # a missing value is an error, never a blank in a report
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Our own stylesheet, not data: marked safe so its quotes reach the browser and WeasyPrint
    # unescaped (escaped, the page-number and font rules are silently dropped).
    context["css"] = Markup((TEMPLATES / "report.css").read_text(encoding="utf-8"))
    return environment.get_template("report.html").render(**context)

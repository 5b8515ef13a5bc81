"""The one path from analysis data to a result and its deliverables: :func:`run_pipeline`.

``alstrial analyse`` (files), ``alstrial report --trial``, ``alstrial demo`` and the web app's
report button (the database, through :mod:`alstrial.web.trials.outputs`) all call it, so the same
data give the same result whoever asks. The steps, in order:

1. registry controls are matched to the treated when a registry is given
   (:func:`alstrial.analysis.controls.with_registry_controls`, which refuses a trial that has
   its own control arm);
2. the efficacy analysis of the design runs (:func:`alstrial.analysis.efficacy.analyse`);
3. with ``out``, the deliverables are written from the result: the tables, ``analysis.json``
   and figures (:func:`alstrial.analysis.output.write_outputs`), the analysed trial data
   (``data/subjects.csv``, ``data/visits.csv``) when asked, and the HTML/PDF report when a
   :class:`ReportRequest` is given (:func:`alstrial.analysis.report.build_report`).

Nothing is written before the analysis has succeeded, and the files of a run are written to a
staging folder beside ``out`` and moved in only when all of them are written. The result,
:class:`TrialAnalysis`, is what callers read numbers from (``arm_counts``, ``to_dict()``); the
files are copies of it, never read back. Docs: ``docs/analysis.md`` ("One pipeline").
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from alstrial.analysis.controls import MatchResult, with_registry_controls
from alstrial.analysis.data import (
    RANDOMISED_SUBJECT_COLUMNS,
    SERIES_END_COLUMNS,
    SUBJECT_COLUMNS,
    SUBJECTS_FILE,
    TOTAL_COLUMN,
    VISITS_FILE,
    AnalysisData,
)
from alstrial.analysis.efficacy import EfficacyResult, analyse
from alstrial.analysis.matching import Matcher
from alstrial.analysis.output import OUTPUT_NAMES, write_outputs
from alstrial.analysis.plan import plan_record, primary_entry
from alstrial.analysis.randomised import (
    RANDOMISED_OUTPUT_NAMES,
    RandomisedResult,
    RandomisedSettings,
    analyse_randomised,
    write_randomised_outputs,
)
from alstrial.analysis.report.build import FIGURES_DIR, ReportPaths, build_report
from alstrial.analysis.report.build import HTML_NAME as REPORT_HTML
from alstrial.analysis.report.build import PDF_NAME as REPORT_PDF
from alstrial.analysis.settings import AnalysisSettings
from alstrial.domain.analysis_plan import AnalysisPlan
from alstrial.domain.errors import FieldError
from alstrial.domain.plan_lock import LockedPlan

#: Single-arm trial with a lead-in: each subject is his own control (lead-in against follow-up
#: slope), optionally with matched registry controls (docs/analysis.md).
SINGLE_ARM_LEAD_IN = "single_arm_lead_in"
#: A two-arm randomised trial: besides the efficacy analysis, the MMRM, ANCOVA and survival
#: analyses of :mod:`alstrial.analysis.randomised` (docs/analysis.md, "Randomised trials").
RANDOMISED = "randomised"
#: The designs the pipeline can analyse. The protocol's analysis plan (``plan``, and its lock)
#: chooses the primary analysis the result and the report lead with (docs/analysis.md).
DESIGNS = (SINGLE_ARM_LEAD_IN, RANDOMISED)
#: Where :func:`run_pipeline` writes the analysed trial data inside ``out``.
DATA_DIR = "data"


#: Where the de-identified copy of the report goes, inside the run's folder.
DEIDENTIFIED_DIR = "deidentified"


@dataclass(frozen=True)
class ReportRequest:
    """What the HTML/PDF report needs beyond the result.

    ``safety``: titled safety tables shown as given; ``screening``: ``{"screened": n,
    "reasons": {criterion: n}}`` for the study flow (only the database knows it); ``pdf``: also
    write ``report.pdf``; ``deidentified_copy``: also write the report for de-identified readers
    (no listings, calendar dates or free text) into ``out/deidentified/``, which is all the web
    app serves them (docs/report.md "Who reads which report").
    """

    title: str = "ALSFRS-R efficacy report"
    trial: str = ""
    safety: Mapping[str, pd.DataFrame] | None = None
    screening: Mapping[str, Any] | None = None
    pdf: bool = True
    deidentified_copy: bool = False


@dataclass(frozen=True)
class TrialAnalysis:
    """The pipeline's result: the design, the data analysed and what came out of it.

    ``trial_data``: the trial's own subjects as given; ``data``: what was analysed (the trial's
    subjects plus any matched registry controls); ``efficacy``: the efficacy result (its
    ``matching`` holds the registry matching, if any); ``files``: every file written, in the
    order written (empty without ``out``); ``report``: where the report went, if asked;
    ``randomised``: the randomised design's MMRM, ANCOVA and survival analyses; ``plan``: the
    protocol's analysis plan; ``locked``: its lock; ``protocol_sha256``: the hash of the
    protocol analysed under it (compared with the locked one).
    """

    design: str
    trial_data: AnalysisData
    data: AnalysisData
    efficacy: EfficacyResult
    files: tuple[Path, ...] = ()
    report: ReportPaths | None = field(default=None)
    randomised: RandomisedResult | None = None
    plan: AnalysisPlan | None = None
    locked: LockedPlan | None = None
    protocol_sha256: str | None = None

    @property
    def matching(self) -> MatchResult | None:
        """The registry matching, or None when no registry was given."""
        return self.efficacy.matching

    @property
    def settings(self) -> AnalysisSettings:
        return self.efficacy.settings

    def arm_counts(self) -> dict[str, dict[str, int]]:
        """``{arm: {"n": subjects with a slope, "n_paired": with both slopes}}``."""
        return {
            arm: {"n": summary.n, "n_paired": summary.n_paired}
            for arm, summary in self.efficacy.arms.items()
        }

    def to_dict(self) -> dict[str, Any]:
        """The ``analysis.json`` object (``alstrial analyse --json``), docs/interfaces.md; a
        randomised design adds ``mmrm``, ``ancova`` and ``survival`` (and its settings)."""
        result = self.efficacy.to_dict()
        if self.randomised is not None:
            extra = self.randomised.to_dict()
            result["settings"] = {**result["settings"], **extra.pop("settings")}
            result.update(extra)
        sha256 = None if self.locked is None else self.locked.sha256
        result["primary"] = primary_entry(self.plan, result, sha256)
        result["analysis_plan"] = plan_record(self.plan, result, self.locked, self.protocol_sha256)
        return result


def run_pipeline(
    data: AnalysisData,
    *,
    settings: AnalysisSettings | None = None,
    registry: Any = None,
    matcher: Matcher | None = None,
    design: str = SINGLE_ARM_LEAD_IN,
    out: str | Path | None = None,
    write_data: bool = False,
    report: ReportRequest | None = None,
    randomised: RandomisedSettings | None = None,
    plan: AnalysisPlan | None = None,
    locked: LockedPlan | None = None,
    protocol_sha256: str | None = None,
) -> TrialAnalysis:
    """Match (when ``registry`` is given), analyse, and write the deliverables into ``out``.

    ``data``: validated analysis data (:func:`alstrial.analysis.data.read_analysis_data` for
    files, :meth:`AnalysisData.from_frames` for frames). ``registry``: a
    :class:`alstrial.registry.proact.Registry` to draw matched external controls from.
    ``write_data``: also write the trial's data as ``out/data/subjects.csv`` and ``visits.csv``.
    ``report``: also write the HTML/PDF report into ``out``. ``randomised``: the settings of
    the randomised design's analyses (default :class:`RandomisedSettings`). ``plan``: the
    protocol's analysis plan, whose primary leads the result (``primary``) and the report;
    ``locked``: its lock, against which the settings used are checked (``analysis_plan``).

    Raises :class:`FieldError` (an unknown design; a registry for a trial with its own controls;
    no registry patient qualifies; ``report`` or ``write_data`` without ``out``) before anything
    is written.
    """
    if design not in DESIGNS:
        raise FieldError("design", f"unknown design {design!r} (known: {', '.join(DESIGNS)})")
    if out is None and (report is not None or write_data):
        raise FieldError("out", "the report and the data files need an output folder")
    settings = settings or AnalysisSettings()
    if design == RANDOMISED and registry is not None:
        raise FieldError("registry", "a randomised trial has its own controls: no registry")
    analysed, matching = data, None
    if registry is not None:
        analysed, matching = with_registry_controls(data, registry, settings, matcher)
    efficacy = analyse(analysed, settings, matching=matching)
    trial = None
    if design == RANDOMISED:
        trial = analyse_randomised(analysed, randomised or RandomisedSettings())
    planned = dict(plan=plan, locked=locked, protocol_sha256=protocol_sha256)
    result = TrialAnalysis(design, data, analysed, efficacy, randomised=trial, **planned)
    if out is None:
        return result
    plan_section = result.to_dict()["analysis_plan"]
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".alstrial-run-", dir=out.parent))
    try:
        names = list(OUTPUT_NAMES)
        if write_data:
            write_analysis_data(data, staging / DATA_DIR)
            names += [f"{DATA_DIR}/{SUBJECTS_FILE}", f"{DATA_DIR}/{VISITS_FILE}"]
        write_outputs(efficacy, analysed, staging)
        names += RANDOMISED_OUTPUT_NAMES
        if trial is not None:
            write_randomised_outputs(trial, staging)
        if report is not None:
            build_report(
                efficacy,
                analysed,
                staging,
                title=report.title,
                trial=report.trial,
                safety=report.safety,
                screening=report.screening,
                pdf=report.pdf,
                plan=plan_section,
            )
            names += [REPORT_HTML, REPORT_PDF, f"{FIGURES_DIR}/"]
            if report.deidentified_copy:
                build_report(
                    efficacy,
                    analysed,
                    staging / DEIDENTIFIED_DIR,
                    title=report.title,
                    trial=report.trial,
                    safety=report.safety,
                    screening=report.screening,
                    pdf=report.pdf,
                    deidentified=True,
                    plan=plan_section,
                )
            names += [f"{DEIDENTIFIED_DIR}/", f"{DEIDENTIFIED_DIR}/{FIGURES_DIR}/"]
        files = _publish(staging, out, names)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    paths = None
    if report is not None:
        paths = ReportPaths(
            html=out / REPORT_HTML,
            pdf=out / REPORT_PDF if report.pdf else None,
            figures=tuple(f for f in files if f.parent == out / FIGURES_DIR),
        )
    return TrialAnalysis(design, data, analysed, efficacy, tuple(files), paths, trial, **planned)


def _publish(staging: Path, out: Path, names: list[str]) -> list[Path]:
    """Move the run from ``staging`` into ``out``; returns the files moved (sorted by path).

    ``names`` are the files (a name ending in ``/``: a whole folder) this kind of run writes:
    any of them left in ``out`` by an earlier run but not produced now (e.g. ``cafs.csv`` when
    this run has no deaths, ``love_plot.svg`` without registry controls) is removed, so the
    folder never mixes two runs. Other files in ``out`` are left alone.
    """
    out.mkdir(parents=True, exist_ok=True)
    produced = {path.relative_to(staging) for path in staging.rglob("*") if path.is_file()}
    for name in names:
        if name.endswith("/"):
            folder = out / name.rstrip("/")
            stale = [p for p in folder.glob("*") if p.is_file()] if folder.is_dir() else []
        else:
            stale = [out / name]
        for path in stale:
            if path.relative_to(out) not in produced:
                path.unlink(missing_ok=True)
    files = []
    for relative in sorted(produced):
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        (staging / relative).replace(target)
        files.append(target)
    return files


def write_analysis_data(data: AnalysisData, folder: Path) -> tuple[Path, Path]:
    """``subjects.csv`` and ``visits.csv`` of ``data`` in the analysis-CSV shape
    (docs/interfaces.md "Analysis data"); the randomised columns only when a subject has one.
    Ages in whole years are written as whole numbers (``61``, not ``61.0``), as entered."""
    folder.mkdir(parents=True, exist_ok=True)
    subjects = data.subjects
    ages = subjects["age_years"]
    if (ages.dropna() % 1 == 0).all():
        subjects = subjects.assign(age_years=ages.astype("Int64"))
    columns = [*SUBJECT_COLUMNS, *SERIES_END_COLUMNS]
    given = [c for c in RANDOMISED_SUBJECT_COLUMNS if c in subjects and subjects[c].notna().any()]
    columns += given
    subjects_path, visits_path = folder / SUBJECTS_FILE, folder / VISITS_FILE
    subjects[columns].to_csv(subjects_path, index=False)
    data.visits[["subject_id", "day", TOTAL_COLUMN]].to_csv(visits_path, index=False)
    return subjects_path, visits_path

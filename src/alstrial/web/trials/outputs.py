"""A trial's analysis from the database: settings and registry from one place, then the pipeline.

:func:`write_trial_outputs` serves ``alstrial report --trial``, ``alstrial demo`` and the web
app's report button, so the command line and the web app produce the same result and report:
the trial's analysis frames (:mod:`.analysis_data`) go through
:func:`alstrial.analysis.pipeline.run_pipeline` with the settings the trial's protocol declares
and the registry :func:`trial_registry` chooses. Docs: ``docs/report.md`` ("Registry controls
for a trial").
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from django.conf import settings as django_settings

from alstrial.analysis.data import AnalysisData
from alstrial.analysis.pipeline import ReportRequest, TrialAnalysis, run_pipeline
from alstrial.analysis.settings import AnalysisSettings, settings_from_protocol
from alstrial.domain.errors import FieldError
from alstrial.domain.plan_lock import LockedPlan
from alstrial.registry.proact import read_registry
from alstrial.web.safety.board import trial_report_tables
from alstrial.web.sap.models import PlanLock
from alstrial.web.subjects.models import Subject
from alstrial.web.trials.analysis_data import analysis_frames

#: The protocol's lead-in slope names (docs/protocols.md) as the analysis settings spell them.
PRE_SLOPE = {"ols": "ols", "two_point": "two_point", "onset_anchored": "onset"}
#: The protocol's ``analysis.control`` value that asks for matched registry controls.
MATCHED_EXTERNAL = "matched_external"
#: The setting (or, when the setting is absent, the environment variable) naming the PRO-ACT
#: folder that registry controls are drawn from.
REGISTRY_SETTING = "ALSTRIAL_REPORT_REGISTRY"


def analysis_settings(trial) -> AnalysisSettings:
    """The analysis settings of the trial's protocol: the follow-up window and primary time point
    from its last follow-up visit window (:func:`settings_from_protocol`; the same window as the
    declared ``analysis.follow_up_days`` of every shipped protocol), and its lead-in slope."""
    declared = trial.protocol.analysis
    return settings_from_protocol(trial.protocol, pre_slope=PRE_SLOPE[declared.lead_in_slope])


def screening_summary(trial) -> dict:
    """``{"screened": n, "reasons": {criterion: n}}`` for the report's study flow."""
    reasons: Counter = Counter()
    subjects = Subject.objects.filter(trial=trial)
    for findings in subjects.filter(eligible=False).values_list("eligibility_findings", flat=True):
        reasons.update(f["label"] for f in findings if f.get("passed") is False)
    return {"screened": subjects.count(), "reasons": dict(reasons)}


def configured_registry() -> Path | None:
    """The registry folder of this installation: the Django setting ``ALSTRIAL_REPORT_REGISTRY``,
    else the environment variable of that name; None when neither is set."""
    value = getattr(django_settings, REGISTRY_SETTING, None) or os.environ.get(REGISTRY_SETTING)
    return Path(value).expanduser().resolve() if value else None


def trial_registry(trial, given: Path | None = None) -> Path | None:
    """The PRO-ACT folder ``trial``'s registry controls come from, or None for none.

    The protocol decides whether there are registry controls (``analysis.control =
    "matched_external"``, docs/protocols.md); the installation says where the registry is
    (:func:`configured_registry`), the same for the report button and ``alstrial report``.
    ``given`` (``alstrial report --registry``) replaces the configured folder for one run.
    Raises :class:`FieldError` when ``given`` is a registry for a trial whose protocol declares
    no matched external controls.
    """
    control = trial.protocol.analysis.control
    if control != MATCHED_EXTERNAL:
        if given is not None:
            raise FieldError(
                "registry",
                f"trial {trial.slug}: the protocol declares analysis.control = {control!r}, so "
                "its analysis takes no registry controls",
            )
        return None
    return Path(given).expanduser().resolve() if given is not None else configured_registry()


def trial_analysis_data(trial) -> AnalysisData:
    """The trial's analysis data over every site, validated as an analysis file would be."""
    return AnalysisData.from_frames(*analysis_frames(trial))


def write_trial_outputs(trial, out: Path, registry: Path | None = None) -> TrialAnalysis:
    """The trial's analysis data (``data/subjects.csv``, ``data/visits.csv``), the analysis
    tables and the HTML/PDF report with the trial's safety tables, all in ``out``.

    Settings come from the trial's protocol; registry controls from :func:`trial_registry`
    (``registry`` replaces the configured folder). Returns the pipeline's result, whose
    ``files`` are the files written. Raises :class:`FieldError` or ``ValueError`` (an
    unreadable registry, named) before anything is written.
    """
    folder = trial_registry(trial, registry)
    try:
        proact = read_registry(folder) if folder is not None else None
    except (OSError, ValueError) as error:
        raise FieldError("registry", f"registry {folder}: {error}") from None
    return run_pipeline(
        trial_analysis_data(trial),
        settings=analysis_settings(trial),
        registry=proact,
        out=out,
        write_data=True,
        report=ReportRequest(
            title=trial.title,
            trial=trial.slug,
            screening=screening_summary(trial),
            safety=trial_report_tables(trial),
            deidentified_copy=True,
        ),
        plan=trial.protocol.analysis.plan,
        locked=locked_plan(trial),
        protocol_sha256=trial.protocol_sha256,
    )


def locked_plan(trial) -> LockedPlan | None:
    """The trial's locked analysis plan (checked against its hash), or None when not locked."""
    lock = PlanLock.objects.filter(trial=trial).first()
    return None if lock is None else lock.as_locked_plan()

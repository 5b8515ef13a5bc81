"""Building a trial's report from the database, one build per trial at a time.

The report is written by the function ``alstrial report --trial SLUG`` uses
(:func:`alstrial.web.trials.outputs.write_trial_outputs`: the trial's analysis data, the analysis
tables and the HTML/PDF report, settings from the trial's protocol, registry controls from the
one registry configuration, :func:`~alstrial.web.trials.outputs.trial_registry`), so the button
and the command give the same report; the counts the page shows come from the pipeline's result.
Each build goes to a folder of its own, ``<reports dir>/<trial slug>/build-<id>/``; when it
succeeds, earlier builds' folders are removed.

Who may build and download (:func:`report_trial_or_404`): the statistician, investigator, admin
and safety monitor (:data:`REPORT_ROLES`), at **every** site of the trial, since the report
covers all of its subjects. A trial none of whose sites the user belongs to answers 404.
"""

from __future__ import annotations

import logging
import os
import shutil
from datetime import timedelta
from pathlib import Path

from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from alstrial import __version__
from alstrial.analysis.pipeline import DEIDENTIFIED_DIR, TrialAnalysis
from alstrial.web.core.access import get_for_user_or_404, has_role, is_deidentified
from alstrial.web.core.models import Role
from alstrial.web.reports.models import BuildStatus, ReportBuild
from alstrial.web.trials.models import Trial
from alstrial.web.trials.outputs import trial_registry, write_trial_outputs

logger = logging.getLogger(__name__)

#: Roles that may build a trial's report and download it.
REPORT_ROLES = (Role.STATISTICIAN, Role.INVESTIGATOR, Role.ADMIN, Role.SAFETY_MONITOR)
#: A build still "running" after this long died with its server process: it no longer blocks.
STALE_AFTER = timedelta(minutes=15)
HTML_NAME, PDF_NAME = "report.html", "report.pdf"


class BuildRunning(Exception):
    """Another build of the same trial is running (``build``)."""

    def __init__(self, build: ReportBuild | None):
        super().__init__("a build of this trial's report is already running")
        self.build = build


def reports_dir() -> Path:
    """Where reports are written: setting or environment ``ALSTRIAL_REPORTS_DIR``, else
    ``var/reports`` under the current directory (beside the demo database, git-ignored)."""
    configured = getattr(django_settings, "ALSTRIAL_REPORTS_DIR", None)
    return Path(configured or os.environ.get("ALSTRIAL_REPORTS_DIR") or "var/reports").resolve()


def may_read_report(user, trial: Trial) -> bool:
    """True when ``user`` holds a report role at every site of ``trial``."""
    site_ids = list(trial.sites.values_list("id", flat=True))
    return bool(site_ids) and all(has_role(user, site, *REPORT_ROLES) for site in site_ids)


def report_trial_or_404(user, slug: str) -> Trial:
    """The trial ``slug`` if ``user`` may build and read its report.

    404 when the trial does not exist or none of its sites is the user's (existence does not
    leak); 403 when the user sees the trial but lacks a report role at one of its sites.
    """
    trial = get_for_user_or_404(Trial.objects.distinct(), user, slug=slug)
    if not may_read_report(user, trial):
        raise PermissionDenied(
            "The trial report covers every site of the trial; your role at one of them "
            "does not allow it."
        )
    return trial


def last_builds(trial: Trial) -> dict[str, ReportBuild | None]:
    """The latest finished report (``done``), a running build (``running``; one older than
    :data:`STALE_AFTER` is taken as dead), and the latest build if it failed after the last
    success (``failed``)."""
    builds = ReportBuild.objects.filter(trial=trial).select_related("started_by")
    done = builds.filter(status=BuildStatus.DONE).first()
    failed = builds.filter(status=BuildStatus.FAILED)
    if done is not None:
        failed = failed.filter(started_at__gt=done.started_at)
    return {
        "done": done,
        "running": builds.filter(
            status=BuildStatus.BUILDING, started_at__gte=timezone.now() - STALE_AFTER
        ).first(),
        "failed": failed.first(),
    }


def reads_deidentified_report(user, trial: Trial) -> bool:
    """True when ``user`` is a de-identified reader at any of the trial's sites: they get the
    de-identified copy of every build, whoever started it."""
    return any(is_deidentified(user, site) for site in trial.sites.all())


def report_file(trial: Trial, name: str, user) -> tuple[Path, ReportBuild]:
    """``report.html`` or ``report.pdf`` of the trial's latest report as ``user`` may read it
    (the de-identified copy for a de-identified reader), and that build (404 when there is
    none)."""
    if name not in (HTML_NAME, PDF_NAME):
        raise Http404("No such report file")
    build = last_builds(trial)["done"]
    if build is None or not build.folder:
        raise Http404("This trial's report has not been built yet")
    root = reports_dir()
    folder = root / build.folder
    if reads_deidentified_report(user, trial):
        folder = folder / DEIDENTIFIED_DIR
    path = (folder / name).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise Http404("The report file is missing; build the report again")
    return path, build


def start_build(trial: Trial, user) -> ReportBuild:
    """Record a running build of ``trial``, or raise :class:`BuildRunning`.

    The partial unique constraint on running builds decides between two simultaneous requests
    (also in different server processes); a build left running longer than
    :data:`STALE_AFTER` is marked failed first, so a crashed build never blocks for good.
    """
    now = timezone.now()
    with transaction.atomic():
        ReportBuild.objects.filter(
            trial=trial, status=BuildStatus.BUILDING, started_at__lt=now - STALE_AFTER
        ).update(
            status=BuildStatus.FAILED,
            finished_at=now,
            error=f"abandoned: not finished after {STALE_AFTER} (the server stopped?)",
        )
        try:
            with transaction.atomic():
                return ReportBuild.objects.create(
                    trial=trial, status=BuildStatus.BUILDING, started_by=user, started_at=now
                )
        except IntegrityError:
            running = ReportBuild.objects.filter(trial=trial, status=BuildStatus.BUILDING)
            raise BuildRunning(running.select_related("started_by").first()) from None


def build_trial_report(trial: Trial, user) -> ReportBuild:
    """Build ``trial``'s report now (10-20 s) and return the finished build record.

    Raises :class:`BuildRunning` when another build of the trial is running. A failure is
    recorded on the build (``status`` failed, ``error``) and leaves no files behind.
    """
    build = start_build(trial, user)
    relative = Path(trial.slug) / f"build-{build.pk}"
    folder = reports_dir() / relative
    try:
        registry = trial_registry(trial)
        analysis = write_trial_outputs(trial, folder)
    except Exception as error:  # recorded and shown: the page must say why there is no report
        logger.exception("report build %s of %s failed", build.pk, trial.slug)
        shutil.rmtree(folder, ignore_errors=True)
        _finish(build, BuildStatus.FAILED, error=f"{type(error).__name__}: {error}")
        return build
    _finish(
        build,
        BuildStatus.DONE,
        folder=str(relative),
        settings=_build_settings(trial, analysis, registry),
        analysed=analysis.arm_counts(),
    )
    _remove_superseded(trial, build)
    return build


def _build_settings(trial: Trial, analysis: TrialAnalysis, registry: Path | None) -> dict:
    """What the report was built with: the analysis settings it states, and its inputs."""
    return {
        "analysis": analysis.to_dict()["settings"],
        "control": trial.protocol.analysis.control,
        "protocol": f"{trial.protocol_filename} v{trial.protocol_version}",
        "protocol_sha256": trial.protocol_sha256,
        "sites": sorted(trial.sites.values_list("code", flat=True)),
        "registry": str(registry) if registry else None,
        "alstrial_version": __version__,
    }


def _finish(build: ReportBuild, status: str, **fields) -> None:
    for name, value in fields.items():
        setattr(build, name, value)
    build.status = status
    build.finished_at = timezone.now()
    build.save()


def _remove_superseded(trial: Trial, keep: ReportBuild) -> None:
    """Delete the folders of the trial's earlier reports (their records stay)."""
    older = ReportBuild.objects.filter(trial=trial, status=BuildStatus.DONE).exclude(pk=keep.pk)
    for build in older.exclude(folder=""):
        shutil.rmtree(reports_dir() / build.folder, ignore_errors=True)
    older.update(folder="")

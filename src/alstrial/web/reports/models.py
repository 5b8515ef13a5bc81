"""A build of a trial's report: who asked, when, with which settings, and its outcome.

At most one build of a trial runs at a time: a partial unique constraint on the running builds
refuses a second one at the database (across server processes, on SQLite and PostgreSQL).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from alstrial.web.core.access import SiteScopedQuerySet
from alstrial.web.trials.models import Trial


class BuildStatus(models.TextChoices):
    BUILDING = "building", "Building"
    DONE = "done", "Built"
    FAILED = "failed", "Failed"


class ReportBuild(models.Model):
    """One request to build ``trial``'s report into ``folder`` (relative to the reports
    directory, see :func:`alstrial.web.reports.services.reports_dir`).

    ``settings``: the analysis settings the report was built with (from its ``analysis.json``),
    plus the protocol, the sites covered, the registry and the alstrial version. ``analysed``:
    ``{arm: {"n": subjects, "n_paired": analysed with both slopes}}`` from the same file.
    """

    site_lookup = "trial__sites"

    trial = models.ForeignKey(Trial, on_delete=models.PROTECT, related_name="report_builds")
    status = models.CharField(max_length=16, choices=BuildStatus.choices)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Users who have acted are deactivated, never deleted (docs/web.md): PROTECT keeps the name.
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    folder = models.CharField(max_length=300, blank=True)
    settings = models.JSONField(default=dict, blank=True)
    analysed = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        ordering = ("-started_at", "-id")
        constraints = (
            models.UniqueConstraint(
                fields=["trial"],
                condition=models.Q(status="building"),
                name="reports_one_running_build_per_trial",
            ),
        )

    def __str__(self) -> str:
        return f"{self.trial.slug} report {self.pk} ({self.status})"

    @property
    def analysed_arms(self) -> list[tuple[str, int, int]]:
        """``(arm, analysed with both slopes, subjects)`` for the arms with subjects."""
        return [
            (arm, counts["n_paired"], counts["n"])
            for arm, counts in self.analysed.items()
            if counts["n"]
        ]

    @property
    def seconds(self) -> float | None:
        """How long the build took (None while it runs)."""
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

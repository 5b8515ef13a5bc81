"""Who is in each study population, and which sites an extraction reads: each rule once.

The extractors that turn the database into analysis frames (:mod:`.analysis_data`: the efficacy
analysis, the report, the statisticians' downloads) and into safety frames
(:mod:`alstrial.web.safety.board`: the safety tables and the report's safety section) take their
subjects from here. The rule that trial controls and registry controls are never mixed is pure
and lives with the matching, :func:`alstrial.analysis.controls.require_no_trial_controls`.
Docs: ``docs/analysis.md`` ("Study populations").
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q, QuerySet

from alstrial.web.product.models import Administration
from alstrial.web.subjects.models import Subject, VisitStatus

#: The dose whose administration makes a subject treated, and the day-0 anchor of both shipped
#: protocols (docs/protocols.md, ``day_zero = "first_administration"``).
FIRST_DOSE = 1


def trial_subjects(trial, site_ids: Iterable[int] | None = None) -> QuerySet:
    """The subjects of ``trial`` at the sites ``site_ids`` (every site when None).

    The site rule of every extractor: the command line and the trial report (which covers the
    whole trial; only users with a report role at every site may build it, docs/web.md) read
    every site; a web download or page passes the sites the user may see for that purpose
    (e.g. :func:`alstrial.web.core.access.site_ids_for` with the analysis roles).
    """
    subjects = Subject.objects.filter(trial=trial)
    if site_ids is not None:
        subjects = subjects.filter(site_id__in=list(site_ids))
    return subjects


def treated(subjects: QuerySet) -> QuerySet:
    """The treated population: subjects who actually received dose 1 (an ``Administration``
    record with ``dose_number`` 1 exists) and so have a day-0 anchor.

    Source: the efficacy analysis compares each treated subject's lead-in and follow-up slopes
    around the first administration, day 0 (docs/analysis.md, docs/protocols.md). A scheduled
    or even "done" injection visit without a recorded administration does not make a subject
    treated: the administration record (product accountability, docs/product.md) is the proof
    that the dose was given. A subject who withdraws later stays treated.
    """
    first_dose = Administration.objects.filter(subject=OuterRef("pk"), dose_number=FIRST_DOSE)
    return subjects.filter(Exists(first_dose), day_zero_date__isnull=False)


def safety_population(subjects: QuerySet, events: QuerySet) -> list[str]:
    """Codes of the safety population, sorted: subjects who underwent a study procedure (a
    harvest visit or an administration visit is done), plus every subject with an adverse event
    in ``events``, so that no event is ever left out of a safety table.

    Source: docs/safety.md ("percentages of N, the safety population"): the bone marrow harvest
    is a procedure with risks of its own, before any dose, so it counts as exposure.
    """
    exposed = subjects.filter(
        Q(visits__harvest=True) | Q(visits__administration__isnull=False),
        visits__status=VisitStatus.DONE,
    )
    codes = set(exposed.values_list("code", flat=True))
    codes |= set(events.values_list("subject__code", flat=True))
    return sorted(codes)

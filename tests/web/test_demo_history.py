"""The demo reads like one consistent trial (loaded with the demo loaders into the test
database): every treated kim2009 subject received the protocol's number of doses, each from a
lot of their own cells, at the visit that carries it and on its date; no harvest after a dose;
the lab's other stages sit on the subject not yet treated; mazzini2003 subjects were harvested
before expansion before implantation and have follow-up MRIs without volume change or
proliferation (Mazzini et al. 2003)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from alstrial.web.assessments.models import MriSpine, WeightAssessment
from alstrial.web.product.models import Administration, Batch, CustodyEntry, Harvest, Lot

pytestmark = pytest.mark.slow

#: Reproducibility of spinal cord volume on MRI: a change within 5 % of the baseline volume is
#: measurement noise, not a change (upper end of reported test-retest differences).
MRI_NOISE_PERCENT = 5.0


@pytest.fixture
def demo(db):
    from alstrial.web.core.demo import DemoContext, load_all_demo_data

    return load_all_demo_data(DemoContext(today=timezone.localdate(), log=lambda text: None))


def _local_date(subject, moment):
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(subject.site.time_zone)).date()


def _treated(subjects):
    """Subjects whose first dose visit is done (the analysis' definition of treated)."""
    return [s for s in subjects if s.visits.filter(administration=1, status="done").exists()]


def test_every_treated_kim_subject_has_its_doses_at_its_visits(demo):
    protocol = demo.trials["kim2009"].protocol
    count = protocol.interventions.administrations.count
    dose_visits = {v.visit: v for v in protocol.schedule() if "administration" in v.forms}
    subjects = demo.subjects["kim2009"]
    treated = _treated(subjects)
    assert len(treated) == 23  # 22 followed to month 3 and one in follow-up
    for subject in treated:
        given = list(
            Administration.objects.filter(subject=subject)
            .select_related("lot__subject", "visit")
            .order_by("dose_number")
        )
        assert [a.dose_number for a in given] == list(range(1, count + 1)), subject.code
        for administration in given:
            visit = administration.visit
            assert administration.lot.subject_id == subject.pk  # the donor is the recipient
            assert administration.lot.status == "administered"
            assert visit.status == "done"
            assert visit.code in dose_visits
            assert visit.administration == administration.dose_number
            assert _local_date(subject, administration.administered_at) == visit.visit_date
            row = dose_visits[visit.code]
            assert visit.administration == row.administration
            assert (
                subject.day_zero_date + timedelta(days=row.earliest_day)
                <= visit.visit_date
                <= subject.day_zero_date + timedelta(days=row.latest_day)
            )
            # the dose was made up for the weight known on the day (none recorded later)
            weights = WeightAssessment.objects.filter(
                subject=subject, visit__visit_date__lte=visit.visit_date
            ).order_by("-visit__visit_date")
            assert administration.lot.weight_kg == weights.first().weight_kg
            # released before it was given, prepared before that, within its expiry
            signature = administration.lot.active_signature
            assert administration.lot.formulated_at <= signature.signed_at
            assert signature.signed_at <= administration.administered_at
            assert administration.administered_at <= administration.lot.expires_at
            # the chain: harvest, batch, passages, lot, custody in time order
            batch = administration.lot.batch
            assert batch.harvest.subject_id == subject.pk
            assert batch.passages.count() >= 1
            assert batch.harvest.aspirated_at < administration.administered_at
            entries = list(CustodyEntry.objects.filter(lot=administration.lot).order_by("id"))
            assert [e.at for e in entries] == sorted(e.at for e in entries)
            assert entries[-1].event == "administered"
            assert entries[-1].at == administration.administered_at
        last_dose = given[-1].administered_at
        harvests = Harvest.objects.filter(subject=subject)
        assert harvests.count() == len(protocol.interventions.harvest.visits)
        assert all(h.aspirated_at < last_dose for h in harvests)
        for harvest in harvests:  # at a done harvest visit, on its date
            assert harvest.visit.harvest
            assert harvest.visit.status == "done"
            assert _local_date(subject, harvest.aspirated_at) == harvest.visit.visit_date
    untreated = [s for s in subjects if s not in treated]
    assert not Administration.objects.filter(subject__in=untreated).exists()


def test_the_lab_stages_sit_on_the_subject_not_yet_treated(demo):
    subjects = demo.subjects["kim2009"]
    treated = _treated(subjects)
    lots = Lot.objects.filter(subject__trial__slug="kim2009")
    stages = {
        ("expired" if lot.status == "released" and lot.is_expired else lot.status) for lot in lots
    }
    assert stages == {
        "in_manufacturing",
        "qc_pending",
        "released",
        "expired",
        "administered",
        "destroyed",
    }
    current = lots.filter(status__in=["in_manufacturing", "qc_pending"]) | lots.filter(
        status="released", expires_at__isnull=True
    )
    assert current.exists()
    for lot in current:
        assert lot.subject not in treated
        aspirated = lot.batch.harvest.aspirated_at
        assert timedelta(days=20) < timezone.now() - aspirated < timedelta(days=35)
    for lot in lots.filter(status="destroyed"):  # a bag of a treated subject's batch
        assert lot.subject in treated


def test_mazzini_history_and_follow_up_mri(demo):
    protocol = demo.trials["mazzini2003"].protocol
    mri_visits = {v.visit for v in protocol.schedule() if "mri_spine" in v.forms}
    implanted = _treated(demo.subjects["mazzini2003"])
    assert len(implanted) == 5
    for subject in implanted:
        (administration,) = Administration.objects.filter(subject=subject)
        (harvest,) = Harvest.objects.filter(subject=subject)
        batch = Batch.objects.get(harvest=harvest)
        assert harvest.aspirated_at.date() <= batch.culture_started_on
        passages = list(batch.passages.order_by("number"))
        assert passages[-1].harvested_on < administration.administered_at.date()
        assert administration.lot.batch_id == batch.pk
        assert administration.visit.code == "IMPL"
        assert _local_date(subject, administration.administered_at) == (
            administration.visit.visit_date
        )
        scans = list(
            MriSpine.objects.filter(subject=subject, visit__status="done")
            .select_related("visit")
            .order_by("visit__visit_date")
        )
        assert {s.visit.code for s in scans} <= mri_visits
        follow_up = [s for s in scans if s.visit.visit_date > administration.visit.visit_date]
        assert len(follow_up) >= 2, subject.code  # month 3 and month 6 at least
        baseline = scans[0]
        assert baseline.visit.visit_date < administration.visit.visit_date
        for scan in follow_up:
            change = 100 * abs(scan.cord_volume_ml - baseline.cord_volume_ml)
            assert change / baseline.cord_volume_ml <= MRI_NOISE_PERCENT
        assert not any(s.abnormal_proliferation for s in scans)


def test_bulk_form_lookups_agree_with_the_per_visit_ones(demo):
    """Pages ask "which forms are done" for many visits in one query per form
    (``done_visits``, all in one UNION query); the answer must be the per-visit ``is_done``
    answer, visit by visit."""
    from alstrial.web.assessments.models import VISIT_ASSESSMENTS
    from alstrial.web.core.visit_forms import done_forms, registered_forms
    from alstrial.web.subjects.models import Visit

    forms = registered_forms()
    # Every form kept in its own table has one (consent and eligibility sit on the subject).
    bulk = {key for key, form in forms.items() if form.done_visits is not None}
    assert bulk >= {"harvest", "administration", *VISIT_ASSESSMENTS}
    visits = list(Visit.objects.select_related("subject"))
    together = done_forms(visits)
    # The same answer when the visits are given as a subquery (the dashboard's way).
    assert done_forms(visits, among=Visit.objects.all()) == together
    checked = 0
    for key in sorted(bulk):
        form = forms[key]
        wanted = [visit for visit in visits if key in visit.forms]
        expected = {visit.pk for visit in wanted if form.is_done(visit)}
        assert {pk for pk, done in together if done == key} == expected, key
        checked += bool(expected)
    assert checked >= 4  # the demo has done harvests, doses, ALSFRS-R and FVC forms at least

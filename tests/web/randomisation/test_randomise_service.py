"""randomise_subject: the one door (refusals, strata from the subject's data, the sealed seed)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from alstrial.domain import randomisation as rules
from alstrial.domain.errors import ValidationError
from alstrial.web.randomisation.models import Allocation, SealedSeed
from alstrial.web.randomisation.services import (
    AlreadyRandomised,
    arm_of,
    is_randomised,
    lead_in_decline,
    randomise_subject,
    regenerated_allocations,
    seal_seed,
)


def _fields(error: ValidationError) -> set[str]:
    return set(error.by_field())


def test_allocation_follows_the_stratum_list_of_the_sealed_seed(rct_subject, users):
    subject = rct_subject(onset_site="bulbar", decline=2.0)
    seal_seed(subject.trial, seed=12345)
    allocation = randomise_subject(users["investigator.seoul"], subject)
    scheme = subject.trial.protocol.randomisation
    expected = rules.stratum_list(scheme, 12345, 2, 1)[0]  # stratum 2: bulbar / fast
    assert allocation.stratum == ["bulbar", "fast"]
    assert allocation.randomisation_number == 2001 == expected.randomisation_number
    sealed = allocation.sealed_arm
    assert sealed.arm == expected.arm
    assert (sealed.block, sealed.block_size) == (expected.block, expected.block_size)
    assert arm_of(subject) == expected.arm
    assert is_randomised(subject)
    history = allocation.history.get()
    assert history.history_change_reason == "randomisation"
    assert history.history_user == users["investigator.seoul"]


def test_lead_in_decline_is_the_ols_slope_of_the_lead_in_visits(rct_subject):
    subject = rct_subject(decline=0.6)
    points = [
        (v.visit_date, v.alsfrsassessment.total)
        for v in subject.visits.filter(epoch="RUN-IN").order_by("sequence")
    ]
    days = [(when - points[0][0]).days / 30.4375 for when, _ in points]
    totals = [total for _, total in points]
    n = len(days)
    mx, my = sum(days) / n, sum(totals) / n
    slope = sum((x - mx) * (y - my) for x, y in zip(days, totals, strict=True)) / sum(
        (x - mx) ** 2 for x in days
    )
    assert lead_in_decline(subject) == pytest.approx(-slope)
    assert 0.3 < lead_in_decline(subject) < 1.0  # slow, and past the entry rule


def test_strata_numbers_run_per_stratum(rct_subject, users):
    coordinator = users["coordinator.seoul"]
    slow = [randomise_subject(coordinator, rct_subject(decline=0.6)) for _ in range(2)]
    fast = randomise_subject(coordinator, rct_subject(decline=2.5))
    assert [a.randomisation_number for a in slow] == [3001, 3002]  # non_bulbar / slow
    assert fast.randomisation_number == 4001  # non_bulbar / fast
    assert SealedSeed.objects.filter(trial=fast.trial).count() == 1


def test_a_second_randomisation_is_refused(rct_subject, users):
    subject = rct_subject()
    randomise_subject(users["coordinator.seoul"], subject)
    with pytest.raises(AlreadyRandomised, match="already randomised"):
        randomise_subject(users["investigator.seoul"], subject)
    assert Allocation.objects.count() == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"enrol": False}, "status"),
        ({"eligible": False, "enrol": False}, "eligible"),
        ({"decline": 0.0}, "lead_in_decline_points_per_month"),  # entry rule: >= 0.3
        ({"lead_in": False}, "lead_in_decline_points_per_month"),
    ],
)
def test_refused_when_not_ready(rct_subject, users, kwargs, field):
    subject = rct_subject(**kwargs)
    with pytest.raises(ValidationError) as caught:
        randomise_subject(users["coordinator.seoul"], subject)
    assert field in _fields(caught.value)
    assert not Allocation.objects.exists()


def test_refused_for_a_trial_that_is_not_randomised(enrolled_subject, users):
    subject = enrolled_subject()
    with pytest.raises(ValidationError) as caught:
        randomise_subject(users["coordinator.seoul"], subject)
    assert "trial" in _fields(caught.value)
    assert not SealedSeed.objects.exists()


@pytest.mark.parametrize(
    "username", ["celllab.seoul", "statistician", "safety.monitor", "coordinator.novara"]
)
def test_roles_that_may_not_randomise(rct_subject, users, username):
    subject = rct_subject()
    with pytest.raises(PermissionDenied):
        randomise_subject(users[username], subject)
    assert not Allocation.objects.exists()


def test_the_list_regenerated_from_the_sealed_seed_equals_the_allocations(rct_subject, users):
    coordinator = users["coordinator.seoul"]
    made = [
        randomise_subject(coordinator, rct_subject(onset_site=site, decline=decline))
        for site, decline in [("spinal", 0.6), ("bulbar", 2.0)] * 3 + [("spinal", 2.0)] * 4
    ]
    trial = made[0].trial
    regenerated = regenerated_allocations(trial)
    assert [(a.randomisation_number, list(a.stratum), a.arm) for a in regenerated] == sorted(
        (a.randomisation_number, a.stratum, a.sealed_arm.arm) for a in made
    )
    # Independently: stratum 4 (non_bulbar / fast) from the domain's list of the sealed seed.
    seed = SealedSeed.objects.get(trial=trial).seed
    expected = rules.stratum_list(trial.protocol.randomisation, seed, 4, 4)
    assert [arm_of(a.subject) for a in made[6:]] == [e.arm for e in expected]


def test_the_seed_is_secret_and_fixed_once_sealed(rct_trial):
    first = seal_seed(rct_trial)
    again = seal_seed(rct_trial, seed=7)
    assert again.seed == first.seed  # a sealed seed never changes
    assert str(first.seed) not in str(first)
    assert str(first.seed) not in repr(first)
    history = first.history.get()
    assert not hasattr(history, "seed")  # the audit trail records the sealing, not the value


def test_the_subjects_audit_trail_records_the_allocation_but_not_the_arm(rct_subject, users):
    from alstrial.web.audit.trail import subject_trail

    subject = rct_subject()
    allocation = randomise_subject(users["coordinator.seoul"], subject)
    entries = [e for e in subject_trail(subject) if "llocation" in e.model]
    assert len(entries) == 1
    fields = {change.field: change.new for change in entries[0].changes}
    assert fields["randomisation_number"] == allocation.randomisation_number
    assert not {"arm", "block", "block_size"} & set(fields)
    # The arm and block are audited on their own, outside the trail blinded roles read.
    sealed = allocation.sealed_arm.history.get()
    assert (sealed.history_user, sealed.history_change_reason) == (
        users["coordinator.seoul"],
        "randomisation",
    )


def test_the_analysis_data_flags_the_emergency_unblinded(rct_subject, users, monkeypatch):
    from alstrial.web.randomisation.services import approve_unblinding, request_unblinding
    from alstrial.web.trials import analysis_data

    # The column, not the population rule, is under test: every enrolled subject counts.
    monkeypatch.setattr(analysis_data, "treated", lambda s: s.filter(day_zero_date__isnull=False))
    coordinator = users["coordinator.seoul"]
    unblinded, pending, blinded = (rct_subject() for _ in range(3))
    for subject in (unblinded, pending, blinded):
        randomise_subject(coordinator, subject)
    request = request_unblinding(users["investigator.seoul"], unblinded, "anaphylaxis")
    approve_unblinding(users["safety.monitor"], request)
    request_unblinding(users["investigator.seoul"], pending, "headache")
    subjects, _ = analysis_data.analysis_frames(unblinded.trial)
    flags = dict(zip(subjects["subject_id"], subjects["emergency_unblinded"], strict=True))
    assert flags == {unblinded.code: True, pending.code: False, blinded.code: False}


def test_an_uncontrolled_trials_analysis_data_has_no_unblinding_column(enrolled_subject):
    from alstrial.web.trials.analysis_data import analysis_frames

    subjects, _ = analysis_frames(enrolled_subject().trial)
    assert "emergency_unblinded" not in subjects.columns


def test_the_admin_shows_allocations_but_never_the_seed_or_arm(rct_subject, users, client):
    from django.contrib import admin

    from alstrial.web.randomisation.models import SealedArm

    assert SealedSeed not in admin.site._registry
    assert SealedArm not in admin.site._registry
    subject = rct_subject()
    allocation = randomise_subject(users["coordinator.seoul"], subject)
    users["admin"].is_staff = users["admin"].is_superuser = True
    users["admin"].save()
    client.force_login(users["admin"])
    page = client.get(f"/admin/randomisation/allocation/{allocation.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert str(allocation.randomisation_number) in html
    assert f">{arm_of(subject)}<" not in html
    assert str(SealedSeed.objects.get().seed) not in html

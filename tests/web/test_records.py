"""save_clinical / delete_clinical: reasons, optimistic locking, history."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from alstrial.domain.errors import MisuseError, ValidationError
from alstrial.web.core.records import ConflictError, delete_clinical, save_clinical
from alstrial.web.subjects.models import Subject, Visit


def test_first_save_records_initial_reason_and_user(screen, users):
    subject = screen("seoul")
    first = subject.history.earliest("history_date")
    assert first.history_type == "+"
    assert first.history_user == users["coordinator.seoul"]
    assert first.history_change_reason == "screening"
    assert subject.version == 1


def test_change_without_reason_is_refused_and_nothing_saved(screen, users):
    subject = screen("seoul")
    subject.sex = "F"
    with pytest.raises(ValidationError) as caught:
        save_clinical(subject, users["coordinator.seoul"], "  ")
    assert "reason" in caught.value.by_field()
    stored = Subject.objects.get(pk=subject.pk)
    assert stored.sex == "M"
    assert stored.version == 1
    assert stored.history.count() == 1


def test_stale_version_is_a_conflict_and_first_save_wins(screen, users):
    subject = screen("seoul")
    alice = Subject.objects.get(pk=subject.pk)
    bob = Subject.objects.get(pk=subject.pk)
    alice.sex = "F"
    save_clinical(alice, users["coordinator.seoul"], "sex was mistyped")
    bob.age_years = 60
    with pytest.raises(ConflictError) as caught:
        save_clinical(bob, users["investigator.seoul"], "age corrected")
    assert "coordinator.seoul" in str(caught.value)
    assert caught.value.current == 2
    stored = Subject.objects.get(pk=subject.pk)
    assert (stored.sex, stored.age_years, stored.version) == ("F", 52, 2)


def test_expected_version_from_the_form_is_checked(screen, users):
    subject = screen("seoul")
    subject.sex = "F"
    with pytest.raises(ConflictError):
        save_clinical(subject, users["coordinator.seoul"], "fix", expected_version=7)
    assert Subject.objects.get(pk=subject.pk).sex == "M"


def test_direct_save_is_refused():
    with pytest.raises(MisuseError, match="save_clinical"):
        Subject().save()


def test_delete_needs_reason_and_is_recorded(enrolled_subject, users):
    subject = enrolled_subject("seoul")
    visit = subject.visits.order_by("sequence").last()
    visit_id = visit.pk
    with pytest.raises(ValidationError):
        delete_clinical(visit, users["coordinator.seoul"], "")
    assert Visit.objects.filter(pk=visit.pk).exists()
    delete_clinical(visit, users["coordinator.seoul"], "created in error")
    assert not Visit.objects.filter(pk=visit_id).exists()
    last = Visit.history.filter(id=visit_id).latest("history_date")
    assert (last.history_type, last.history_change_reason) == ("-", "created in error")


def test_save_needs_a_logged_in_user(screen):
    from django.contrib.auth.models import AnonymousUser

    subject = screen("seoul")
    with pytest.raises(PermissionDenied):
        save_clinical(subject, AnonymousUser(), "x")


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_saves_one_wins_one_conflicts(screen, users):
    """Two threads load version 1 and save at the same moment: exactly one save is written."""
    import threading

    from django.db import connection, connections

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("threads need a database server or file (the PostgreSQL run covers this)")
    subject = screen("seoul")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def edit(age: int, user) -> None:
        try:
            copy = Subject.objects.get(pk=subject.pk)
            barrier.wait(timeout=10)
            copy.age_years = age
            save_clinical(copy, user, f"age set to {age}")
            outcomes.append("saved")
        except ConflictError:
            outcomes.append("conflict")
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=edit, args=(60, users["coordinator.seoul"])),
        threading.Thread(target=edit, args=(61, users["investigator.seoul"])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["conflict", "saved"]
    stored = Subject.objects.get(pk=subject.pk)
    assert stored.version == 2
    assert stored.history.count() == 2  # the screening and the one save that won


def test_bulk_writes_that_would_skip_the_trail_are_refused(screen):
    subject = screen("seoul")
    for attempt in (
        lambda: Subject.objects.filter(pk=subject.pk).update(sex="F"),
        lambda: Subject.objects.filter(pk=subject.pk).delete(),
        lambda: Subject.objects.bulk_update([subject], ["sex"]),
    ):
        with pytest.raises(MisuseError, match="audit trail"):
            attempt()
    assert Subject.objects.get(pk=subject.pk).sex == "M"


def test_a_second_first_entry_of_one_form_is_a_conflict(enrolled_subject, users):
    from alstrial.domain.alsfrs_items import ITEMS
    from alstrial.web.assessments.models import AlsfrsAssessment

    subject = enrolled_subject("seoul", days_ago=100)
    visit = subject.visits.get(code="SCR")
    items = {i.key: 4 for i in ITEMS if i.key != "cutting_with_gastrostomy"}
    save_clinical(
        AlsfrsAssessment(subject=subject, visit=visit, **items), users["coordinator.seoul"]
    )
    late = AlsfrsAssessment(subject=subject, visit=visit, **{**items, "speech": 2})
    with pytest.raises(ConflictError, match="another entry was saved first"):
        save_clinical(late, users["investigator.seoul"])
    assert AlsfrsAssessment.objects.get(visit=visit).speech == 4

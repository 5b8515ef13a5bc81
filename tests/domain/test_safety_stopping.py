"""Stopping rules over a trial's adverse events; counts worked out by hand."""

from __future__ import annotations

import pytest

from alstrial.domain.errors import FieldError
from alstrial.domain.protocol_model import StoppingRule
from alstrial.domain.safety_stopping import EventFacts, describe, evaluate_stopping_rules

GRADE3_TWO_SUBJECTS = StoppingRule(
    event="related_adverse_event", subjects=2, action="halt_enrolment", min_grade=3
)
RELATED_DEATH = StoppingRule(event="related_death", subjects=1, action="halt_trial")
SERIOUS_REVIEW = StoppingRule(
    event="related_serious_adverse_event", subjects=1, action="dsmb_review"
)


def ev(event_id, subject, grade, related=True, serious=False):
    return EventFacts(event_id, subject, grade, related, serious)


def test_subjects_are_counted_not_events():
    # S1 has two related grade 3 events: one subject. Not triggered (needs 2).
    events = [ev(1, "S1", 3), ev(2, "S1", 4), ev(3, "S2", 2), ev(4, "S3", 3, related=False)]
    result = evaluate_stopping_rules([GRADE3_TWO_SUBJECTS], events).results[0]
    assert result.subject_ids == ("S1",)
    assert result.event_ids == (1, 2)
    assert not result.triggered


def test_the_second_subject_with_a_related_grade_3_event_halts_enrolment():
    events = [ev(1, "S1", 3), ev(2, "S2", 3)]
    evaluation = evaluate_stopping_rules([GRADE3_TWO_SUBJECTS, RELATED_DEATH], events)
    assert [r.triggered for r in evaluation.results] == [True, False]
    assert evaluation.halts_enrolment
    assert evaluation.to_dict()["rules"][0]["subjects_counted"] == 2


def test_grade_below_the_threshold_and_unrelated_events_do_not_count():
    events = [ev(1, "S1", 2), ev(2, "S2", 2), ev(3, "S3", 4, related=False)]
    evaluation = evaluate_stopping_rules([GRADE3_TWO_SUBJECTS], events)
    assert not evaluation.triggered
    assert not evaluation.halts_enrolment


def test_any_related_death_triggers_at_once_but_an_unrelated_death_does_not():
    assert not evaluate_stopping_rules([RELATED_DEATH], [ev(1, "S1", 5, related=False)]).triggered
    evaluation = evaluate_stopping_rules([RELATED_DEATH], [ev(1, "S1", 5, serious=True)])
    assert evaluation.halts_enrolment  # halt_trial stops enrolment too


def test_a_review_rule_triggers_without_halting_enrolment():
    events = [ev(1, "S1", 2, serious=True)]
    evaluation = evaluate_stopping_rules([SERIOUS_REVIEW], events)
    assert evaluation.triggered
    assert not evaluation.halts_enrolment
    assert evaluation.summary().loc[0, "triggered"]


def test_rules_read_in_words():
    assert describe(GRADE3_TWO_SUBJECTS) == (
        "halt enrolment if 2 subjects have a related adverse event of grade >= 3"
    )
    assert describe(RELATED_DEATH) == "halt trial if any subject has a related death"
    written = StoppingRule("related_death", 1, "halt_trial", description="Any death halts it. ")
    assert describe(written) == "Any death halts it"


def test_an_unreadable_rule_is_refused_by_field():
    with pytest.raises(FieldError) as excinfo:
        evaluate_stopping_rules([StoppingRule("any_event", 1, "halt_enrolment")], [])
    assert excinfo.value.field == "event"
    with pytest.raises(FieldError) as excinfo:
        evaluate_stopping_rules([StoppingRule("related_death", 0, "halt_enrolment")], [])
    assert excinfo.value.field == "subjects"

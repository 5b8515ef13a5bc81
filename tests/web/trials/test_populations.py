"""The study populations and the site rule of the extractors (alstrial.web.trials.populations)."""

from __future__ import annotations

from support.dosing import give_dose

from alstrial.web.safety.board import trial_frames
from alstrial.web.subjects.services import record_visit
from alstrial.web.trials.analysis_data import analysis_frames
from alstrial.web.trials.populations import safety_population, treated, trial_subjects


def test_treated_means_dose_1_was_given_not_that_its_visit_is_done(enrolled_subject, users, sites):
    subject = enrolled_subject("seoul", days_ago=150)
    injection = subject.visits.get(administration=1)
    record_visit(injection, users["coordinator.seoul"], visit_date=injection.target_date)
    # The injection visit is done, but no dose was recorded: not treated.
    assert not treated(trial_subjects(subject.trial)).exists()
    assert analysis_frames(subject.trial)[0].empty
    give_dose(subject, users, sites)
    assert list(treated(trial_subjects(subject.trial))) == [subject]
    assert analysis_frames(subject.trial)[0]["subject_id"].tolist() == [subject.code]


def test_a_later_dose_alone_does_not_make_a_subject_treated(enrolled_subject, users, sites):
    subject = enrolled_subject("seoul", days_ago=150)
    give_dose(subject, users, sites, dose_number=2)
    assert not treated(trial_subjects(subject.trial)).exists()


def test_every_extractor_reads_the_sites_it_is_given(enrolled_subject, users, sites):
    seoul = enrolled_subject("seoul", days_ago=150)
    other_seoul = enrolled_subject("seoul", days_ago=150)
    trial = seoul.trial
    assert set(trial_subjects(trial)) == {seoul, other_seoul}
    assert set(trial_subjects(trial, [sites["seoul"].pk])) == {seoul, other_seoul}
    assert not trial_subjects(trial, [sites["novara"].pk]).exists()
    assert not trial_subjects(trial, []).exists()
    for subject in (seoul, other_seoul):
        give_dose(subject, users, sites)
        harvest = subject.visits.filter(harvest=True).first()  # exposed: in the safety tables
        record_visit(harvest, users["coordinator.seoul"], visit_date=harvest.target_date)
    expected = sorted([seoul.code, other_seoul.code])
    assert sorted(analysis_frames(trial)[0]["subject_id"]) == expected
    assert analysis_frames(trial, site_ids=[sites["novara"].pk])[0].empty
    # The safety extractor: a user of another site sees none of the trial's subjects.
    assert sorted(trial_frames(trial)[1]["subject_id"]) == expected
    assert trial_frames(trial, users["coordinator.novara"])[1].empty
    assert sorted(trial_frames(trial, users["coordinator.seoul"])[1]["subject_id"]) == expected


def test_safety_population_is_the_exposed_and_anyone_with_an_event(enrolled_subject, users):
    subject = enrolled_subject("seoul", days_ago=150)
    subjects = trial_subjects(subject.trial)
    events = subject.adverse_events.none()
    assert safety_population(subjects, events) == []
    harvest = subject.visits.filter(harvest=True).first()
    record_visit(harvest, users["coordinator.seoul"], visit_date=harvest.target_date)
    assert safety_population(subjects, events) == [subject.code]

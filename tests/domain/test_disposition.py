"""The one count of the study flow: every subject is counted once, finished ones as enrolled."""

from __future__ import annotations

import random

import pytest

from alstrial.domain.disposition import STATUSES, disposition_counts


def test_counts_of_a_small_trial():
    statuses = ["screening", "screen_failed", "screen_failed"] + ["enrolled"] * 3
    statuses += ["completed"] * 22 + ["withdrawn", "lost_to_follow_up", "died"]
    counts = disposition_counts(statuses)
    assert counts.screened == 31
    assert counts.screen_failed == 2
    assert counts.in_screening == 1
    assert counts.enrolled == 28  # 3 on study + 25 finished: finished subjects stay enrolled
    assert counts.on_study == 3
    assert counts.completed == 22
    assert (counts.withdrawn, counts.lost_to_follow_up, counts.died) == (1, 1, 1)
    assert counts.finished == 25
    assert counts.to_dict()["finished"] == 25


def test_every_subject_is_counted_once_whatever_the_mix():
    generator = random.Random(15)
    for _ in range(200):
        statuses = [generator.choice(STATUSES) for _ in range(generator.randrange(60))]
        counts = disposition_counts(statuses)
        assert counts.screened == len(statuses)
        assert counts.screened == counts.in_screening + counts.screen_failed + counts.enrolled
        assert counts.enrolled == counts.on_study + counts.finished
        assert counts.completed == statuses.count("completed")


def test_an_unknown_status_is_refused_not_left_out():
    with pytest.raises(ValueError, match="finished"):
        disposition_counts(["enrolled", "finished"])

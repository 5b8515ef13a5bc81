"""A frozen subject: every write of that subject's data refused (the others' accepted), only
the data manager freezes and unfreezes, both audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from alstrial.web.core.records import save_clinical
from alstrial.web.core.write_guards import WritesLocked
from alstrial.web.dataquality import locks
from alstrial.web.subjects.services import record_visit


def test_freeze_refuses_the_subjects_writes_only(enrolled_subject, users):
    frozen, other = enrolled_subject(), enrolled_subject()
    coordinator, dm = users["coordinator.seoul"], users["dm.trials"]
    with pytest.raises(PermissionDenied):
        locks.freeze_subject(coordinator, frozen, "casebook clean")
    locks.freeze_subject(dm, frozen, "casebook clean")

    frozen.age_years = 70
    with pytest.raises(WritesLocked) as caught:
        save_clinical(frozen, coordinator, "typo")
    assert caught.value.by_field() == {
        "subject": [f"subject {frozen.code} is frozen (casebook clean); nothing can be changed "
                    "until a data manager unfreezes it"]
    }  # fmt: skip
    visit = frozen.visits.order_by("sequence").first()
    with pytest.raises(WritesLocked):
        record_visit(visit, coordinator, visit_date=frozen.screening_date, reason="date fixed")
    other.age_years = 70
    save_clinical(other, coordinator, "typo")

    locks.unfreeze_subject(dm, frozen, "query reopened by the monitor")
    frozen.refresh_from_db()
    frozen.age_years = 70
    save_clinical(frozen, coordinator, "typo")
    history = frozen.freeze.history.order_by("history_id")
    assert [(h.frozen, h.history_change_reason) for h in history] == [
        (True, "casebook clean"),
        (False, "query reopened by the monitor"),
    ]

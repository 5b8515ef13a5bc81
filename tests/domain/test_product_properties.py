"""Property test: for any sequence of lab and clinic actions, no subject receives a lot whose
donor is someone else, a lot that is not released, expired or already used, or a dose twice.

The model is the pure domain (lot states, custody transitions, chain-of-identity checks): a
hypothesis state machine makes lots, releases, voids, destroys, lets time pass and tries to
administer random lots to random subjects with random (sometimes corrupted) scans. An
administration is applied only when :func:`check_administration` returns no failure, exactly as
the web service does; the invariants then check the outcome independently.
"""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from alstrial.domain.errors import FieldError
from alstrial.domain.identifiers import lot_code, subject_code
from alstrial.domain.product import ADMINISTRABLE, CustodyEvent, LotStatus, next_status
from alstrial.domain.product_dose import expiry
from alstrial.domain.product_identity import LotFacts, SubjectFacts, check_administration

#: the check under test; replaced by weakened ones below to show the property test can fail
CHECK = {"check": check_administration}

SUBJECTS = [
    (subject_code("SEO", 1), "seoul"),
    (subject_code("SEO", 2), "seoul"),
    (subject_code("NOV", 1), "novara"),
]


SCANS = st.sampled_from(["right", "right", "other_subject", "misread_subject", "misread_lot"])


def corrupt(identifier: str, position: int) -> str:
    """A misread identifier: one character replaced."""
    chars = list(identifier)
    i = position % len(chars)
    chars[i] = "7" if chars[i] != "7" else "8"
    return "".join(chars)


class ChainOfIdentity(RuleBasedStateMachine):
    @initialize()
    def start(self):
        self.now = datetime(2024, 1, 1, 8, 0, tzinfo=UTC)
        self.lots: dict[str, LotFacts] = {}
        self.next_number: dict[str, int] = {}
        # what really happened: (recipient, lot facts at the time, time)
        self.given: list[tuple[str, LotFacts, datetime]] = []
        self.doses: dict[str, set[int]] = {s: set() for s, _ in SUBJECTS}

    lot_codes = Bundle("lot_codes")

    @rule(target=lot_codes, donor=st.sampled_from(SUBJECTS), dose_number=st.integers(1, 2))
    def make_lot(self, donor, dose_number):
        subject_id, site = donor
        number = self.next_number.get(subject_id, 0) + 1
        self.next_number[subject_id] = number
        code = lot_code(subject_id, number)
        self.lots[code] = LotFacts(
            code, subject_id, site, LotStatus.IN_MANUFACTURING, None, dose_number
        )
        return code

    def _move(self, code, event: CustodyEvent, **changes):
        lot = self.lots[code]
        try:
            status = next_status(lot.status, event)
        except FieldError:
            return
        self.lots[code] = replace(lot, status=status, **changes)

    @rule(code=lot_codes)
    def qc(self, code):
        self._move(code, CustodyEvent.QC)

    @rule(code=lot_codes)
    def release(self, code):
        self._move(code, CustodyEvent.RELEASED)

    @rule(code=lot_codes)
    def void_release(self, code):
        self._move(code, CustodyEvent.RELEASE_VOIDED)

    @rule(code=lot_codes, hours=st.integers(1, 48))
    def prepare_dose(self, code, hours):
        self._move(code, CustodyEvent.DOSE_PREPARED, expires_at=expiry(self.now, hours))

    @rule(code=lot_codes, hours=st.integers(1, 48))
    def lab_happy_path(self, code, hours):
        """QC, release and formulation in one go, so that lots often become administrable."""
        for event in (CustodyEvent.QC, CustodyEvent.RELEASED):
            self._move(code, event)
        self._move(code, CustodyEvent.DOSE_PREPARED, expires_at=expiry(self.now, hours))

    @rule(code=lot_codes)
    def ship(self, code):
        self._move(code, CustodyEvent.SHIPPED)

    @rule(code=lot_codes)
    def receive(self, code):
        self._move(code, CustodyEvent.RECEIVED)

    @rule(code=lot_codes)
    def destroy(self, code):
        self._move(code, CustodyEvent.DESTROYED)

    @rule(code=lot_codes)
    def misrouted(self, code):
        """A shipping error: the lot is recorded at the other site."""
        lot = self.lots[code]
        other = "novara" if lot.site == "seoul" else "seoul"
        self.lots[code] = replace(lot, site=other)

    @rule(hours=st.integers(1, 30))
    def time_passes(self, hours):
        self.now += timedelta(hours=hours)

    @rule(
        data=st.data(),
        code=lot_codes,
        own=st.booleans(),
        recipient=st.sampled_from(SUBJECTS),
        scan=SCANS,
        position=st.integers(0, 30),
    )
    def administer(self, data, code, own, recipient, scan, position):
        self._attempt(data, code, own, recipient, scan, position)

    @precondition(lambda self: any(lot.status in ADMINISTRABLE for lot in self.lots.values()))
    @rule(
        data=st.data(),
        own=st.booleans(),
        recipient=st.sampled_from(SUBJECTS),
        scan=SCANS,
        position=st.integers(0, 30),
    )
    def administer_a_released_lot(self, data, own, recipient, scan, position):
        """Clinics pick released lots; this makes the checks on them (expiry, site, dose number,
        donor) face many attempts, not only the status check."""
        ready = sorted(c for c, lot in self.lots.items() if lot.status in ADMINISTRABLE)
        self._attempt(data, data.draw(st.sampled_from(ready)), own, recipient, scan, position)

    def _attempt(self, data, code, own, recipient, scan, position):
        if own:  # most attempts in a clinic are for the right patient
            recipient = next(s for s in SUBJECTS if s[0] == self.lots[code].donor_subject_id)
        subject_id, site = recipient
        scanned_subject, scanned_lot = subject_id, code
        if scan == "other_subject":
            scanned_subject = data.draw(st.sampled_from([s for s, _ in SUBJECTS]))
        elif scan == "misread_subject":
            scanned_subject = corrupt(subject_id, position)
        elif scan == "misread_lot":
            scanned_lot = corrupt(code, position)
        lot = self.lots.get(scanned_lot.strip().upper())
        errors = CHECK["check"](
            scanned_subject_id=scanned_subject,
            scanned_lot_id=scanned_lot,
            subject=SubjectFacts(subject_id, site, frozenset(self.doses[subject_id])),
            lot=lot,
            now=self.now,
        )
        if errors:
            return  # refused: nothing changes
        self.given.append((subject_id, lot, self.now))
        self.doses[subject_id].add(lot.dose_number)
        self.lots[lot.lot_id] = replace(lot, status=next_status(lot.status, "administered"))

    @invariant()
    def only_donors_receive_their_own_released_unexpired_lots(self):
        seen_lots = set()
        seen_doses = set()
        for recipient, lot, when in getattr(self, "given", []):
            assert lot.donor_subject_id == recipient
            assert lot.lot_id.startswith(f"LOT-{recipient}-")
            assert lot.status in (LotStatus.RELEASED, LotStatus.RECEIVED)
            assert lot.expires_at is not None
            assert when < lot.expires_at
            assert dict(SUBJECTS)[recipient] == lot.site
            assert lot.lot_id not in seen_lots
            assert (recipient, lot.dose_number) not in seen_doses
            seen_lots.add(lot.lot_id)
            seen_doses.add((recipient, lot.dose_number))


ChainOfIdentity.TestCase.settings = settings(
    max_examples=150, stateful_step_count=40, deadline=None
)
test_chain_of_identity = ChainOfIdentity.TestCase


def _without(word):
    """``check_administration`` with every failure mentioning ``word`` dropped."""

    def weakened(**kwargs):
        return [e for e in check_administration(**kwargs) if word not in f"{e.field} {e.message}"]

    return weakened


@pytest.mark.slow
@pytest.mark.parametrize("dropped", ["dose_number", "donor", "expired", "site"])
def test_the_property_test_catches_a_missing_check(monkeypatch, dropped):
    """Each chain-of-identity check matters: without it, hypothesis finds a wrong administration."""
    monkeypatch.setitem(CHECK, "check", _without(dropped))
    with pytest.raises(AssertionError):
        run_state_machine_as_test(
            ChainOfIdentity,
            # generation only: the point is that a failure is found, not its smallest form
            settings=settings(
                max_examples=2000,
                stateful_step_count=50,
                deadline=None,
                database=None,
                phases=[Phase.generate],
            ),
        )

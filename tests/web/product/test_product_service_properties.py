"""Property test over the real services and database: for random sequences of lab and clinic
actions (lots made to random stages, releases voided, lots destroyed, administrations tried with
random recipients and random, sometimes misread, scans), no subject ever receives a lot whose
donor is someone else, and every administration satisfies every chain-of-identity rule.
The invariants read the database, independently of the checks that guard it."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from alstrial.web.product import services
from alstrial.web.product.demo import GOOD_QC
from alstrial.web.product.models import Administration, RefusedAttempt

STAGES = ("qc_pending", "released", "released", "expired", "destroyed")
SCANS = ("right", "right", "other_subject", "misread_lot", "misread_subject")


def misread(identifier: str) -> str:
    last = identifier[-1]
    return identifier[:-1] + ("7" if last != "7" else "8")


@pytest.mark.slow
def test_services_give_lots_only_to_their_donors(product_world, users, lot_at):
    subjects = [product_world["alice"], product_world["bob"], product_world["nina"]]
    clinicians = {"seoul": users["investigator.seoul"], "novara": users["admin"]}
    lab = {"seoul": users["celllab.seoul"], "novara": users["celllab.novara"]}

    class Clinic(RuleBasedStateMachine):
        lots = Bundle("lots")

        def __init__(self):
            super().__init__()
            self.given = Administration.objects.count()
            self.refused = RefusedAttempt.objects.count()

        @initialize(target=lots, donor=st.sampled_from(subjects))
        def a_released_lot(self, donor):
            return lot_at(donor, "released")

        @rule(
            target=lots,
            donor=st.sampled_from(subjects),
            stage=st.sampled_from(STAGES),
            dose=st.integers(1, 2),
        )
        def make_lot(self, donor, stage, dose):
            doses = donor.trial.protocol.interventions.administrations.count
            return lot_at(donor, stage, dose_number=min(dose, doses))

        @rule(lot=lots)
        def edit_qc_after_release(self, lot):
            lot.refresh_from_db()
            if lot.status in ("released", "qc_pending"):
                changed = {**GOOD_QC, "viable_cells": lot.qc.viable_cells, "cd73": 96.5}
                services.record_qc(lot, lab[lot.site.code], changed, reason="re-read")

        @rule(
            lot=lots,
            own=st.booleans(),
            recipient=st.sampled_from(subjects),
            scan=st.sampled_from(SCANS),
        )
        def administer(self, lot, own, recipient, scan):
            self._attempt(lot, lot.subject if own else recipient, scan)

        @rule(lot=lots)
        def give_to_the_donor(self, lot):
            """The everyday case, so that sequences also reach successful administrations."""
            self._attempt(lot, lot.subject, "right")

        def _attempt(self, lot, recipient, scan):
            lot.refresh_from_db()
            scanned_subject, scanned_lot = recipient.code, lot.code
            if scan == "other_subject":
                scanned_subject = next(s.code for s in subjects if s != recipient)
            elif scan == "misread_lot":
                scanned_lot = misread(lot.code)
            elif scan == "misread_subject":
                scanned_subject = misread(recipient.code)
            route = recipient.trial.protocol.interventions.route.name
            try:
                services.administer_dose(
                    recipient,
                    clinicians[recipient.site.code],
                    scanned_subject_id=scanned_subject,
                    scanned_lot_id=scanned_lot,
                    route=route,
                    spinal_level="T8" if route == "intraspinal" else "",
                    pump_rate_ul_per_min=100.0 if route == "intraspinal" else None,
                )
            except services.AdministrationRefused:
                self.refused += 1
            else:
                self.given += 1

        @invariant()
        def every_administration_obeys_the_chain_of_identity(self):
            assert Administration.objects.count() == self.given
            assert RefusedAttempt.objects.count() == self.refused
            seen = set()
            for a in Administration.objects.select_related("lot", "subject"):
                lot = a.lot
                assert lot.subject_id == a.subject_id, "a lot reached someone else"
                assert lot.code.startswith(f"LOT-{a.subject.code}-")
                assert lot.site_id == a.subject.site_id
                assert lot.status == "administered"
                assert a.administered_at < lot.expires_at
                assert lot.signatures.filter(
                    voided_at__isnull=True, signed_at__lte=a.administered_at
                ).exists()
                assert (a.subject_id, a.dose_number) not in seen
                seen.add((a.subject_id, a.dose_number))

    run_state_machine_as_test(
        Clinic,
        settings=settings(
            max_examples=12,
            stateful_step_count=10,
            deadline=None,
            database=None,
            derandomize=True,  # the same sequences every run: no flaky test
            suppress_health_check=list(HealthCheck),
        ),
    )
    # the sequences reached both outcomes (else the invariants were checked on nothing)
    assert Administration.objects.exists()
    assert RefusedAttempt.objects.exists()

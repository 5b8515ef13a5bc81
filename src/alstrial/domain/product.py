"""The life of an autologous cell lot: its states and the custody events that move it.

Rules: docs/domain.md, 'Cell product'. A lot is made from one batch (one harvest, one donor),
goes through quality control, is released by an electronic signature, may be shipped and
received, and ends administered to its donor or destroyed. Editing a QC result after release
voids the release (back to QC pending). Every move is a custody event in an append-only ledger;
a refused administration is recorded too and changes nothing.

The transition table below is the only place that says which event may follow which state; the
web services ask :func:`next_status` before they write anything.

Submodules: :mod:`product_culture` (passages, population doublings), :mod:`product_release`
(QC and release criteria), :mod:`product_dose` (dose, expiry), :mod:`product_identity` (the
chain-of-identity checks before administration).
"""

from __future__ import annotations

from enum import StrEnum

from alstrial.domain.errors import FieldError


class LotStatus(StrEnum):
    IN_MANUFACTURING = "in_manufacturing"
    QC_PENDING = "qc_pending"
    RELEASED = "released"
    SHIPPED = "shipped"
    RECEIVED = "received"
    ADMINISTERED = "administered"
    DESTROYED = "destroyed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class CustodyEvent(StrEnum):
    MADE = "made"
    QC = "qc"
    RELEASED = "released"
    RELEASE_VOIDED = "release_voided"
    DOSE_PREPARED = "dose_prepared"
    SHIPPED = "shipped"
    RECEIVED = "received"
    ADMINISTERED = "administered"
    DESTROYED = "destroyed"
    REFUSED = "refused"

    @property
    def label(self) -> str:
        return "QC results" if self is CustodyEvent.QC else self.value.replace("_", " ")


S = LotStatus
#: the states from which a lot may still be given (after the other identity checks pass)
ADMINISTRABLE = frozenset({S.RELEASED, S.RECEIVED})
#: the states in which the lot is released (voided by a QC edit)
RELEASED_STATES = frozenset({S.RELEASED, S.SHIPPED, S.RECEIVED})
_OPEN = frozenset(S) - {S.ADMINISTERED, S.DESTROYED}

#: event -> {status before: status after}. A status missing from an event's table refuses it.
TRANSITIONS: dict[CustodyEvent, dict[LotStatus, LotStatus]] = {
    CustodyEvent.QC: {
        S.IN_MANUFACTURING: S.QC_PENDING,
        S.QC_PENDING: S.QC_PENDING,
    },
    CustodyEvent.RELEASED: {S.QC_PENDING: S.RELEASED},
    CustodyEvent.RELEASE_VOIDED: {s: S.QC_PENDING for s in RELEASED_STATES},
    CustodyEvent.DOSE_PREPARED: {
        s: s for s in (S.IN_MANUFACTURING, S.QC_PENDING, S.RELEASED, S.RECEIVED)
    },
    CustodyEvent.SHIPPED: {S.RELEASED: S.SHIPPED},
    CustodyEvent.RECEIVED: {S.SHIPPED: S.RECEIVED},
    CustodyEvent.ADMINISTERED: {s: S.ADMINISTERED for s in ADMINISTRABLE},
    CustodyEvent.DESTROYED: {s: S.DESTROYED for s in _OPEN},
    CustodyEvent.REFUSED: {s: s for s in S},
}


def next_status(status: LotStatus | str, event: CustodyEvent | str) -> LotStatus:
    """The lot's status after ``event``, or a FieldError (field ``status``) if not allowed.

    ``made`` creates a lot in manufacturing and so has no 'before'.
    """
    event = CustodyEvent(event)
    status = LotStatus(status)
    if event is CustodyEvent.MADE:
        raise FieldError("status", "a lot is made once, when it is created")
    table = TRANSITIONS[event]
    if status not in table:
        raise FieldError("status", f"{event.label}: not allowed for a lot that is {status.label}")
    return table[status]

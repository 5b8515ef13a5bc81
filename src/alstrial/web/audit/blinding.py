"""The audit trail as a blinded role may read it in a randomised, blinded trial
(docs/randomisation.md "Blinding").

The trail keeps every entry; what a blinded reader is shown of it leaves out what tells an
active lot from a placebo: the culture (batches, passages), QC results and release signatures
(whose evaluation quotes cell counts) are left out whole; a lot's and an administration's
entries keep only the fields a blinded role sees elsewhere (lot code, subject, dose number,
status, expiry; the administration's time, route and lot) and lose their reason text, which
may quote the dose ("dose prepared (weight 70 kg ...)"). Harvests stay: both arms are
aspirated.
"""

from __future__ import annotations

from dataclasses import replace

from alstrial.web.audit.trail import AuditEntry
from alstrial.web.core.access import hides_arm
from alstrial.web.product.models import (
    Administration,
    Batch,
    Lot,
    Passage,
    QcResult,
    ReleaseSignature,
)

#: Product records a blinded reader sees nothing of (verbose names, as the trail names them).
HIDDEN_RECORDS = frozenset(
    str(model._meta.verbose_name) for model in (Batch, Passage, QcResult, ReleaseSignature)
)
#: Fields of the records a blinded reader sees, kept in their entries.
VISIBLE_FIELDS = {
    str(Lot._meta.verbose_name): frozenset(
        {"code", "subject", "number", "dose_number", "status", "expires_at", "site"}
    ),
    str(Administration._meta.verbose_name): frozenset(
        {"subject", "lot", "visit", "dose_number", "route", "administered_at", "operator"}
    ),
}


def blinded_entries(entries: list[AuditEntry]) -> list[AuditEntry]:
    """``entries`` without what reveals the arm (module docstring)."""
    shown = []
    for entry in entries:
        if entry.model in HIDDEN_RECORDS:
            continue
        visible = VISIBLE_FIELDS.get(entry.model)
        if visible is not None:
            changes = tuple(c for c in entry.changes if c.field in visible)
            entry = replace(entry, changes=changes, reason="")
        shown.append(entry)
    return shown


def trail_for(user, subject, entries: list[AuditEntry]) -> list[AuditEntry]:
    """``entries`` of ``subject``'s trail as ``user`` may read them."""
    if hides_arm(user, subject.trial, subject.site_id):
        return blinded_entries(entries)
    return entries

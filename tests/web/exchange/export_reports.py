"""An adverse event report as the safety form sends it, for the export tests (a helper module,
not a conftest, so that its name is unique across tests/)."""

from __future__ import annotations

from datetime import timedelta


def ae_report(subject, term: str) -> dict:
    """A valid non-serious grade 1 event of ``subject`` with the verbatim term ``term``."""
    onset = subject.consent_date + timedelta(days=3)
    return {
        "term": term,
        "onset_date": onset,
        "resolution_date": onset + timedelta(days=2),
        "grade": "1",
        "serious": "no",
        "seriousness_criteria": [],
        "relatedness_cell_product": "unlikely",
        "relatedness_bone_marrow_aspiration": "unrelated",
        "relatedness_lumbar_puncture": "unrelated",
        "relatedness_spinal_surgery": "",
        "action_taken": "none",
        "outcome": "recovered",
        "awareness_at": "",
        "narrative": "",
    }

"""The randomisation list of a randomised trial, for the unblinded DSMB statistician
(docs/exchange.md, "Randomisation list"; docs/randomisation.md, "Blinding").

One CSV row per allocation made, in randomisation-number order: ``subject`` (the pseudonymous
code), ``randomisation_number``, ``stratum`` (the levels joined by ``/``, or ``all``), ``arm``
(the arm code) and ``randomised_at`` (UTC, ISO 8601). The caller checks that the user holds an
unblinded role (``access.can_see_arm``) at every site exported: the list is the arm of every
subject and never reaches a blinded role.
"""

from __future__ import annotations

import pandas as pd

from alstrial.web.randomisation.models import Allocation
from alstrial.web.randomisation.services import arms_of

COLUMNS = ("subject", "randomisation_number", "stratum", "arm", "randomised_at")


def randomisation_list(trial, site_ids: list[int]) -> pd.DataFrame:
    """The allocations of ``trial`` at ``site_ids`` with their arms (module docstring)."""
    made = list(
        Allocation._base_manager.filter(trial=trial, subject__site_id__in=site_ids)
        .select_related("subject")
        .order_by("randomisation_number")
    )
    arms = arms_of(a.subject_id for a in made)
    rows = [
        {
            "subject": a.subject.code,
            "randomisation_number": a.randomisation_number,
            "stratum": "/".join(a.stratum) or "all",
            "arm": arms[a.subject_id],
            "randomised_at": a.randomised_at.isoformat(),
        }
        for a in made
    ]
    return pd.DataFrame(rows, columns=list(COLUMNS))

"""Time conventions: dates or day offsets are stored; months are derived.

docs/domain.md, 'Months': months = days / 30.4375 (365.25 / 12, the TRICALS convention). The
constant is a setting written into every analysis output, so a reader knows which convention was
used.
"""

from __future__ import annotations

import numpy as np

DAYS_PER_MONTH = 365.25 / 12  # 30.4375
DAYS_PER_YEAR = 365.25
#: The largest day offset any study axis holds, either way (100 years): a value beyond it is a
#: typing or unit error, and refusing it keeps every day a small integer in every format.
MAX_DAY_OFFSET = 36_525


def days_to_months(days, days_per_month: float = DAYS_PER_MONTH):
    """Convert days (a number or an array) to months."""
    return (
        np.asarray(days, dtype=float) / days_per_month if np.ndim(days) else days / days_per_month
    )


def months_to_days(months, days_per_month: float = DAYS_PER_MONTH):
    """Convert months (a number or an array) to days."""
    return (
        np.asarray(months, dtype=float) * days_per_month
        if np.ndim(months)
        else months * days_per_month
    )

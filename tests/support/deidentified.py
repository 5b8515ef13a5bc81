"""What a de-identified reader must never find in a download: calendar dates and times."""

from __future__ import annotations

import re

#: Dates and times in the usual spellings: 2025-03-10, 20250310, 10/03/2025, 10.03.2025,
#: 10 Mar 2025, March 10, 09:30.
DATE_PATTERNS = [
    re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}\b"),
    re.compile(r"\b(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\b"),
    # Day and month (either order) each 1-31: "50/75/100" (a ratio) is not a date.
    re.compile(r"\b(0?[1-9]|[12]\d|3[01])[/.](0?[1-9]|[12]\d|3[01])[/.](\d{2}|\d{4})\b"),
    re.compile(
        r"\b\d{1,2} ?(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? ?\d{2,4}\b", re.I
    ),
    re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{1,2}\b"),
    re.compile(r"\b\d{1,2}:\d{2}\b"),
]


def dates_in(text: str) -> list[str]:
    """Every substring of ``text`` that looks like a calendar date or a time of day."""
    return [m.group(0) for pattern in DATE_PATTERNS for m in pattern.finditer(text)]

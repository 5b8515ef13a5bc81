"""--LOBXFL, the last observation before exposure flag of QS and VS (SDTMIG 3.4, Findings
class; docs/exchange.md, 'SDTM').

For each subject and test code, the latest record with a result taken on or before the first
exposure (DM.RFXSTDTC) is flagged ``Y``; every other record is empty. A subject never exposed
has no flag. Dates are ISO 8601 text: a record with a date only counts as before exposure on
the day of the first dose (a visit's assessments precede the administration it carries); when
both carry a time, the times decide.
"""

from __future__ import annotations

import pandas as pd


def _on_or_before(observed: str, exposure: str) -> bool:
    if "T" in observed and "T" in exposure:
        return observed <= exposure
    return observed[:10] <= exposure[:10]


def last_before_exposure(frame: pd.DataFrame, domain: str, dm: pd.DataFrame) -> pd.Series:
    """The ``--LOBXFL`` column for ``frame`` (a QS or VS dataset), aligned with its rows."""
    first_exposure = dict(zip(dm["USUBJID"], dm["RFXSTDTC"], strict=True))
    flags = pd.Series("", index=frame.index, dtype=object)
    test, dtc, result = f"{domain}TESTCD", f"{domain}DTC", f"{domain}ORRES"
    candidates = [
        index
        for index, row in frame.iterrows()
        if row[result]
        and row[dtc]
        and first_exposure.get(row["USUBJID"])
        and _on_or_before(row[dtc], first_exposure[row["USUBJID"]])
    ]
    if not candidates:
        return flags
    before = frame.loc[candidates]
    # The latest date per subject and test; the last such record in sequence order if several.
    latest = before.sort_values([dtc, f"{domain}SEQ"]).groupby(["USUBJID", test]).tail(1)
    flags.loc[latest.index] = "Y"
    return flags

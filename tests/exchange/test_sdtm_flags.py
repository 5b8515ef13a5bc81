"""--LOBXFL of QS and VS against a plain recount: per subject and test code, the one record
of the latest date on or before the first exposure (DM.RFXSTDTC) is flagged Y."""

from __future__ import annotations

import pandas as pd
import pytest
from exchange_trial import build_trial_data

from alstrial.exchange.sdtm import build_sdtm
from alstrial.exchange.sdtm_flags import last_before_exposure


@pytest.fixture(scope="module")
def datasets():
    return build_sdtm(build_trial_data())


@pytest.mark.parametrize("domain", ["QS", "VS"])
def test_last_observation_before_exposure(datasets, domain):
    frame, dm = datasets[domain], datasets["DM"]
    first = {u: x[:10] for u, x in zip(dm["USUBJID"], dm["RFXSTDTC"], strict=True) if x}
    expected = set()
    for (subject, test), group in frame.groupby(["USUBJID", f"{domain}TESTCD"]):
        dates = [
            d[:10] for d in group[f"{domain}DTC"] if subject in first and d[:10] <= first[subject]
        ]
        if dates:
            expected.add((subject, test, max(dates)))
    flagged = frame.loc[frame[f"{domain}LOBXFL"] == "Y"]
    got = {
        (u, t, d[:10])
        for u, t, d in zip(
            flagged["USUBJID"], flagged[f"{domain}TESTCD"], flagged[f"{domain}DTC"], strict=True
        )
    }
    assert expected  # the trial has observations before its doses
    assert got == expected
    assert len(flagged) == len(expected)  # one record per subject and test
    assert set(frame[f"{domain}LOBXFL"]) <= {"Y", ""}


def test_no_flag_without_exposure():
    frame = pd.DataFrame(
        {
            "USUBJID": ["S-1", "S-1", "S-2"],
            "VSTESTCD": ["WEIGHT"] * 3,
            "VSDTC": ["2024-01-01", "2024-01-10", "2024-01-01"],
            "VSORRES": ["70", "71", "80"],
            "VSSEQ": [1, 2, 1],
        }
    )
    dm = pd.DataFrame({"USUBJID": ["S-1", "S-2"], "RFXSTDTC": ["2024-01-10T09:30", ""]})
    # S-1's record on the day of the dose (no time) is before it; S-2 was never exposed.
    assert last_before_exposure(frame, "VS", dm).tolist() == ["", "Y", ""]

"""Analysis settings from a protocol's visit windows, and the count of visits outside them."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd
import pytest
from support.synthetic_cohort import kim_like_cohort

from alstrial.analysis.data import AnalysisData
from alstrial.analysis.efficacy import analyse
from alstrial.analysis.settings import AnalysisSettings, settings_from_protocol
from alstrial.domain.errors import FieldError
from alstrial.domain.protocol import load_protocol

PROTOCOLS = Path(__file__).parents[2] / "protocols"


@pytest.mark.parametrize("name", ["kim2009", "mazzini2003", "msc_rct"])
def test_follow_up_window_is_the_last_alsfrs_visit_window_of_the_protocol(name):
    raw = tomllib.loads((PROTOCOLS / f"{name}.toml").read_text())
    visits = [v for phase in raw["phases"] for v in phase["visits"] if "alsfrs_r" in v["forms"]]
    last = max((v for v in visits if v["day"] > 0), key=lambda v: v["day"])
    settings = settings_from_protocol(load_protocol(PROTOCOLS / f"{name}.toml"))
    assert settings.follow_up_days == last["day"] + last["window_after_days"]
    assert settings.time_point == last["day"]
    assert settings.time_point_window == (
        last["day"] - last["window_before_days"],
        last["day"] + last["window_after_days"],
    )
    assert settings.follow_up_visit == last["code"]


def test_kim2009_keeps_month_3_visits_held_late_in_their_window():
    settings = settings_from_protocol(load_protocol(PROTOCOLS / "kim2009.toml"))
    # FU3 is day 91 -7/+7: a month-3 visit on day 96 is inside the protocol's window, and was
    # dropped by the fixed 90-day window
    assert settings.follow_up_days == 98
    assert settings.to_dict()["time_point_window_days"] == [84, 98]


def test_a_protocol_without_follow_up_alsfrs_visit_is_refused():
    protocol = load_protocol(PROTOCOLS / "kim2009.toml")

    class NoFollowUp:
        def visits(self):
            return tuple(v for v in protocol.visits() if v.day <= 0)

    with pytest.raises(FieldError, match="no visit with an ALSFRS-R form after day 0"):
        settings_from_protocol(NoFollowUp())


def test_time_point_must_lie_in_the_follow_up_window():
    with pytest.raises(ValueError, match="time_point_days"):
        AnalysisSettings(follow_up_days=90, time_point_days=120)


def test_the_analysis_counts_visits_after_the_follow_up_window():
    subjects, visits = kim_like_cohort(5, n_treated=8, n_control=8)
    # one late visit per treated subject, 5 days past the window
    late = subjects.loc[subjects["arm"] == "treated", ["subject_id", "index_day"]]
    extra = pd.DataFrame(
        {"subject_id": late["subject_id"], "day": late["index_day"] + 95, "alsfrs_r_total": 20}
    )
    visits = pd.concat([visits, extra], ignore_index=True)
    data = AnalysisData.from_frames(subjects, visits)
    merged = visits.merge(subjects[["subject_id", "arm", "index_day"]], on="subject_id")
    for days in (90, 98):
        outside = merged[merged["day"] > merged["index_day"] + days]
        expected = outside.groupby("arm").size().reindex(["treated", "control"], fill_value=0)
        result = analyse(data, AnalysisSettings(follow_up_days=days))
        assert result.counts["visits_after_follow_up_window"] == expected.to_dict()
    assert analyse(data, AnalysisSettings(follow_up_days=90)).counts[
        "visits_after_follow_up_window"
    ]["treated"] >= len(late)

"""The web report's analysis settings come from the trial's protocol visit windows."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from alstrial.domain.protocol import load_protocol
from alstrial.web.trials.outputs import analysis_settings

PROTOCOLS = Path(__file__).parents[3] / "protocols"


def test_kim2009_window_and_time_point_from_the_month_3_visit():
    protocol = load_protocol(PROTOCOLS / "kim2009.toml")
    settings = analysis_settings(SimpleNamespace(protocol=protocol))
    fu3 = protocol.visit("FU3")
    assert settings.follow_up_days == fu3.day + fu3.window_after_days == 98
    assert settings.time_point == fu3.day
    assert settings.time_point_window == (fu3.earliest_day, fu3.latest_day)
    assert settings.follow_up_visit == "FU3"
    assert settings.pre_slope == "ols"
    # the declared follow-up of the shipped protocol is the same window
    assert settings.follow_up_days == protocol.analysis.follow_up_days

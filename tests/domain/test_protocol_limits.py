"""Protocol files that would otherwise crash or pass absurd numbers: TOML nested thousands of
levels deep (Python's stack) and a follow-up of 10^18 days are refused with the file and key."""

from __future__ import annotations

import pytest
from protocol_edits import assert_case, kim_copy, put

from alstrial.domain.protocol import ProtocolError, protocol_from_dict, protocol_from_toml
from alstrial.domain.protocol_parse import MAX_FOLLOW_UP_DAYS


@pytest.mark.parametrize(
    "nested", ["x = " + "[" * 3000 + "]" * 3000, "x = " + "{a=" * 3000 + "1" + "}" * 3000]
)
def test_deeply_nested_toml_is_a_clear_error(nested):
    with pytest.raises(ProtocolError) as info:
        protocol_from_toml(nested, source="deep.toml")
    assert "nested too deeply" in str(info.value)
    assert "deep.toml" in str(info.value)


@pytest.mark.parametrize("days", [10**18, MAX_FOLLOW_UP_DAYS + 1])
def test_follow_up_beyond_twenty_years_is_refused(days):
    assert_case(put(("analysis", "follow_up_days"), days), "analysis.follow_up_days", "at most")


def test_the_longest_follow_up_is_accepted():
    data = kim_copy()
    data["analysis"]["follow_up_days"] = MAX_FOLLOW_UP_DAYS
    assert protocol_from_dict(data).analysis.follow_up_days == MAX_FOLLOW_UP_DAYS

"""Property tests: the schedule checks agree with a direct restatement of the rules."""

from __future__ import annotations

import copy
import itertools
import tomllib
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from alstrial.domain.protocol import ProtocolError, protocol_from_dict
from alstrial.domain.protocol_parse import MAX_FOLLOW_UP_DAYS

KIM = Path(__file__).resolve().parents[2] / "protocols" / "kim2009.toml"
BASE = tomllib.loads(KIM.read_text())
# The last visit before the follow-up phase in kim2009.toml: INJ2, day 26, window -2/+2.
INJ2 = ("phases[2].visits[1]", 26, 24, 28)

visit_timing = st.tuples(
    st.integers(20, 400),  # day
    st.integers(0, 30),  # window before
    st.integers(0, 30),  # window after
)


@st.composite
def near_boundary_timings(draw) -> list[tuple[int, int, int]]:
    """Visits placed a few days either side of the previous visit's latest day, so that
    touching windows (a shared day) and reversed days come up often."""
    timings = []
    latest = INJ2[3]
    for _ in range(draw(st.integers(1, 6))):
        before, after = draw(st.integers(0, 4)), draw(st.integers(0, 4))
        day = latest + draw(st.integers(-6, 3)) + before
        timings.append((day, before, after))
        latest = day + after
    return timings


def expected_problems(timings: list[tuple[int, int, int]]) -> set[str]:
    """Restates the rule: visits in strictly increasing day order; the latest day of each
    visit strictly before the earliest day of the next. Returns the keys that must be named."""
    rows = [INJ2] + [
        (f"phases[3].visits[{i}]", day, day - before, day + after)
        for i, (day, before, after) in enumerate(timings)
    ]
    problems = set()
    for (prev_key, prev_day, _, prev_latest), (key, day, earliest, _) in itertools.pairwise(rows):
        if day <= prev_day:
            problems.add(f"{key}.day")
        elif prev_latest >= earliest:
            problems.add(f"{prev_key}.window_after_days")
    return problems


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.lists(visit_timing, min_size=1, max_size=6), near_boundary_timings()))
def test_order_and_window_checks_match_the_rule(timings):
    data = copy.deepcopy(BASE)
    data["phases"][3]["visits"] = [
        {
            "code": f"FU{i}",
            "name": f"Follow-up {i}",
            "day": day,
            "window_before_days": before,
            "window_after_days": after,
            "forms": ["alsfrs_r", "adverse_events"],
        }
        for i, (day, before, after) in enumerate(timings)
    ]
    # Long enough to cover any generated visit: only the order and window rules are under test.
    data["analysis"]["follow_up_days"] = MAX_FOLLOW_UP_DAYS
    expected = expected_problems(timings)
    try:
        protocol = protocol_from_dict(data, source="generated.toml")
    except ProtocolError as error:
        reported = set(error.by_field())
        assert reported == expected
        return
    assert expected == set()
    rows = [r for r in protocol.schedule() if r.epoch == "FOLLOW-UP"]
    assert [(r.day, r.day - r.earliest_day, r.latest_day - r.day) for r in rows] == timings


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 60), st.integers(0, 5))
def test_administration_interval_must_match_visit_days(interval, window):
    """INJ2 placed ``interval`` days after INJ1 loads exactly when interval_days agrees."""
    data = copy.deepcopy(BASE)
    inj2 = data["phases"][2]["visits"][1]
    inj2.update(day=interval, window_before_days=min(window, interval - 1), window_after_days=0)
    for stated in (interval, interval + 1):
        data["interventions"]["administrations"]["interval_days"] = stated
        try:
            protocol = protocol_from_dict(copy.deepcopy(data), source="generated.toml")
        except ProtocolError as error:
            fields = set(error.by_field())
            assert (stated != interval) == ("interventions.administrations.visits[1]" in fields), (
                fields
            )
        else:
            assert stated == interval
            assert protocol.visit("INJ2").day - protocol.visit("INJ1").day == stated


def _paths(node, prefix=()):
    """Every key path in a parsed document (tables, arrays and leaves)."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        path = (*prefix, key)
        yield path
        if isinstance(value, dict | list):
            yield from _paths(value, path)


PATHS = list(_paths(BASE))
toml_values = st.one_of(
    st.booleans(),
    st.integers(-1000, 1000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(["INJ1", "HARV1", "TREATMENT", "intraspinal", "alsfrs_r", "per_kg"]),
    st.lists(st.text(max_size=5), max_size=3),
    st.just({}),
    st.just([]),
)


def _outcome(data):
    try:
        return protocol_from_dict(data, source="fuzz.toml"), None
    except ProtocolError as error:
        return None, error


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PATHS), st.none() | toml_values), min_size=1, max_size=3))
def test_any_edit_gives_a_protocol_or_named_errors(edits):
    """Deleting or replacing any key with any TOML value yields a Protocol or a ProtocolError
    whose every entry names a key: never another exception, never a silent half-load."""
    data = copy.deepcopy(BASE)
    for path, value in edits:
        parent = data
        try:
            for key in path[:-1]:
                parent = parent[key]
            if value is None:
                del parent[path[-1]]
            else:
                parent[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed or replaced this path
    protocol, error = _outcome(data)
    if error is not None:
        assert error.errors
        assert all(e.field and e.message for e in error.errors)
        assert all(m.startswith("fuzz.toml: ") for m in error.messages())
    else:
        rows = protocol.schedule()
        assert all(a.latest_day < b.earliest_day for a, b in itertools.pairwise(rows))

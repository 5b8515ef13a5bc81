"""The locked plan's hash: canonical JSON, stable across key order, changed by any locked input,
and a content that no longer matches its hash is refused (docs/analysis.md, "Analysis plan")."""

from __future__ import annotations

import copy
import hashlib

import pytest

from alstrial.domain.errors import FieldError
from alstrial.domain.plan_lock import LockedPlan, canonical_json, deviations, plan_sha256

CONTENT = {
    "trial": "kim2009",
    "protocol_sha256": "ab" * 32,
    "plan": {"estimand": "ATT", "primary": "change_vs_control", "secondaries": ["x"]},
    "settings": {"follow_up_days": 98, "confidence": 0.95, "pre_slope": "ols"},
    "operating_characteristics": {"type_i_error": 0.049, "power": 0.8, "seed": 1, "trials": 10},
}


def test_canonical_json_is_sorted_and_compact():
    assert canonical_json({"b": 1, "a": [1.5, "é"]}) == '{"a":[1.5,"é"],"b":1}'
    expected = hashlib.sha256('{"a":[1.5,"é"],"b":1}'.encode()).hexdigest()
    assert plan_sha256({"b": 1, "a": [1.5, "é"]}) == expected


def test_the_hash_ignores_key_order():
    reordered = {k: CONTENT[k] for k in reversed(list(CONTENT))}
    reordered["settings"] = dict(reversed(list(CONTENT["settings"].items())))
    assert plan_sha256(reordered) == plan_sha256(CONTENT)


@pytest.mark.parametrize(
    "path",
    [
        ("protocol_sha256",),
        ("plan", "primary"),
        ("plan", "estimand"),
        ("settings", "follow_up_days"),
        ("operating_characteristics", "seed"),
        ("operating_characteristics", "type_i_error"),
    ],
)
def test_any_changed_input_changes_the_hash(path):
    changed = copy.deepcopy(CONTENT)
    target = changed
    for key in path[:-1]:
        target = target[key]
    value = target[path[-1]]
    target[path[-1]] = value + 1 if isinstance(value, int | float) else f"{value}!"
    assert plan_sha256(changed) != plan_sha256(CONTENT)


def test_nan_cannot_be_locked():
    with pytest.raises(FieldError, match="cannot be locked"):
        plan_sha256({"type_i_error": float("nan")})


def test_a_content_edited_after_the_lock_is_refused():
    lock = LockedPlan(plan_sha256(CONTENT), "2026-01-01T00:00:00+00:00", copy.deepcopy(CONTENT))
    lock.verify()
    assert lock.type_i_error == 0.049
    lock.content["plan"]["primary"] = "slope_vs_control"
    with pytest.raises(FieldError, match="does not match"):
        lock.verify()


def test_deviations_name_each_changed_setting():
    now = copy.deepcopy(CONTENT)
    assert deviations(CONTENT, now) == []
    now["settings"]["follow_up_days"] = 90
    now["protocol_sha256"] = "cd" * 32
    found = deviations(CONTENT, now)
    assert found[0].startswith("protocol changed since the lock")
    assert found[1] == "setting follow_up_days: 90 instead of the locked 98"
    assert len(found) == 2

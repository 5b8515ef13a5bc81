"""Twenty subjects randomised at the same moment from twenty threads take twenty distinct
numbers and the right places in their strata's lists, on SQLite (IMMEDIATE transactions) and
on PostgreSQL (the sealed seed's row locked with SELECT ... FOR UPDATE).

Each run is a subprocess on a throw-away database (tests/support/randomised.py): threads need
a database they can all write to, which the in-memory SQLite test database is not.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict

import pytest
from support.randomised import RACE_SCRIPT
from support.testserver import ThrowawayDatabase, environment, run_python

pytestmark = pytest.mark.slow

SUBJECTS = 20
VENDORS = ["sqlite", "postgresql"]


@pytest.mark.parametrize("vendor", VENDORS)
def test_twenty_simultaneous_randomisations(tmp_path, vendor):
    url = os.environ.get("DATABASE_URL") if vendor == "postgresql" else None
    if vendor == "postgresql" and not url:
        pytest.skip("PostgreSQL: set DATABASE_URL (make test's second run)")
    database = ThrowawayDatabase(tmp_path, url)
    try:
        done = run_python(environment(database), RACE_SCRIPT, "race", str(SUBJECTS), timeout=600)
    finally:
        database.drop()
    result = json.loads(done.stdout)
    assert result["vendor"] == vendor
    assert result["outcomes"] == ["randomised"] * SUBJECTS
    numbers = [a["number"] for a in result["allocations"]]
    assert len(set(numbers)) == SUBJECTS
    by_stratum = defaultdict(list)
    for allocation in sorted(result["allocations"], key=lambda a: a["number"]):
        by_stratum[allocation["stratum_number"]].append(allocation)
    assert sum(len(v) for v in by_stratum.values()) == SUBJECTS
    for stratum, made in by_stratum.items():
        # Positions 1..k of the stratum's list, no gap and no repeat, each with the list's arm.
        assert [a["number"] for a in made] == [stratum * 1000 + k for k in range(1, len(made) + 1)]
        expected = result["expected_arms"][str(stratum)][: len(made)]
        assert [a["arm"] for a in made] == expected

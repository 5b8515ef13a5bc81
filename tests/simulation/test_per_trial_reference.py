"""The vectorized engine gives, bit for bit, the per-trial results checked in for the current
draw scheme (``trials.DRAW_SCHEME``), which the script that wrote them checked against the
reference engine first: no optimisation may move a number. The CSVs and the script are in
``tests/reference/simulation/``; regenerate them only for a new draw scheme, never to make this
test pass."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from alstrial.simulation.designs import load_design
from alstrial.simulation.engines import Simulation

REFERENCE = Path(__file__).parents[1] / "reference" / "simulation"


def _maker():
    spec = importlib.util.spec_from_file_location("make_per_trial", REFERENCE / "make_per_trial.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MAKER = _maker()


def _read(path: Path) -> pd.DataFrame:
    # pandas parses floats to round trip (the exact comparison below checks it too).
    return pd.read_csv(path)


def test_kim2009_per_trial_csv_is_unchanged(tmp_path):
    result = Simulation(load_design("kim2009")).run(600, seed=0)
    written = tmp_path / "per_trial.csv"
    result.per_trial().to_csv(written, index=False)
    assert written.read_text() == (REFERENCE / "kim2009_seed0.csv").read_text()
    # Not a vacuous comparison: the file holds decided and undecided trials.
    assert 0 < _read(written)["reject"].mean() < 1


@pytest.mark.parametrize("name", sorted(MAKER.CASES))
def test_every_analysis_is_unchanged(name):
    expected = _read(REFERENCE / f"{name}.csv")
    actual = MAKER.full_table(MAKER.case_result(name))
    pd.testing.assert_frame_equal(actual, expected, check_exact=True, check_dtype=False)

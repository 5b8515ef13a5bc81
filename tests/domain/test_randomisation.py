"""Allocation schemes: balance, ratio, reproducibility and unpredictability of the sequences."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alstrial.domain.errors import ValidationError
from alstrial.domain.randomisation import (
    Arm,
    RandomisationScheme,
    dry_run,
    minimisation_allocation,
    next_block_allocation,
    stratum_list,
    subject_levels,
)

ONE_TO_ONE = RandomisationScheme(
    method="permuted_blocks",
    arms=(Arm("MSC", "cells", 1), Arm("SHAM", "placebo", 1, "placebo", "sham")),
    stratify_by=("onset_site", "lead_in_decline"),
    block_sizes=(2, 4),
    fast_decline_points_per_month=1.0,
)
TWO_DOSES = RandomisationScheme(
    method="permuted_blocks",
    arms=(Arm("LOW", "low", 2), Arm("HIGH", "high", 2), Arm("PBO", "placebo", 1, "placebo")),
    stratify_by=("sex",),
    block_sizes=(5, 10, 15),
)
MINIMISATION = RandomisationScheme(
    method="minimisation",
    arms=(Arm("MSC", "cells", 1), Arm("SHAM", "placebo", 1, "placebo", "sham")),
    stratify_by=("onset_site", "lead_in_decline", "sex"),
    minimisation_probability=0.8,
    fast_decline_points_per_month=1.0,
)


def _worst_deviation(scheme: RandomisationScheme, arms: list[str]) -> float:
    """The largest deviation, over every prefix and arm, of an arm's count from its target."""
    shares = {arm.code: arm.ratio / scheme.ratio_sum for arm in scheme.arms}
    counts: Counter[str] = Counter()
    worst = 0.0
    for n, arm in enumerate(arms, start=1):
        counts[arm] += 1
        worst = max(worst, *(abs(counts[code] - n * share) for code, share in shares.items()))
    return worst


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**63 - 1), stratum=st.integers(1, 4), length=st.integers(1, 300))
def test_blocks_never_drift_more_than_half_the_largest_block(seed, stratum, length):
    arms = [a.arm for a in stratum_list(ONE_TO_ONE, seed, stratum, length)]
    assert _worst_deviation(ONE_TO_ONE, arms) <= max(ONE_TO_ONE.block_sizes) / 2
    # For 1:1 the difference between the arms is twice the deviation: at most half a block.
    counts = Counter(arms)
    assert abs(counts["MSC"] - counts["SHAM"]) <= max(ONE_TO_ONE.block_sizes) / 2


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**63 - 1), stratum=st.integers(1, 2), length=st.integers(1, 300))
def test_unequal_ratio_blocks_stay_within_half_the_largest_block(seed, stratum, length):
    arms = [a.arm for a in stratum_list(TWO_DOSES, seed, stratum, length)]
    assert _worst_deviation(TWO_DOSES, arms) <= max(TWO_DOSES.block_sizes) / 2


def test_every_completed_block_holds_the_ratio_exactly_and_sizes_are_random():
    allocations = stratum_list(TWO_DOSES, seed=11, stratum=1, length=600)
    blocks: dict[int, list] = {}
    for a in allocations:
        blocks.setdefault(a.block, []).append(a)
    complete = [b for b in blocks.values() if len(b) == b[0].block_size]
    assert len(complete) >= 30
    for block in complete:
        counts = Counter(a.arm for a in block)
        unit = block[0].block_size // 5
        assert counts == {"LOW": 2 * unit, "HIGH": 2 * unit, "PBO": unit}
    sizes = Counter(b[0].block_size for b in complete)
    assert set(sizes) == {5, 10, 15}  # every declared size is drawn


def test_lists_are_reproducible_prefixes_and_differ_between_seeds_and_strata():
    long = stratum_list(ONE_TO_ONE, 5, 2, 200)
    assert stratum_list(ONE_TO_ONE, 5, 2, 37) == long[:37]
    assert stratum_list(ONE_TO_ONE, 5, 2, 200) == long
    assert [a.arm for a in stratum_list(ONE_TO_ONE, 6, 2, 200)] != [a.arm for a in long]
    assert [a.arm for a in stratum_list(ONE_TO_ONE, 5, 3, 200)] != [a.arm for a in long]
    assert [a.randomisation_number for a in long[:3]] == [2001, 2002, 2003]
    assert all(a.stratum == ("bulbar", "fast") for a in long)


def test_next_block_allocation_is_the_lists_next_entry():
    levels = ("non_bulbar", "slow")
    stratum = ONE_TO_ONE.stratum_number(levels)
    expected = stratum_list(ONE_TO_ONE, 99, stratum, 10)
    got = [next_block_allocation(ONE_TO_ONE, 99, levels, k) for k in range(10)]
    assert got == expected


def test_the_next_arm_is_not_predictable_from_the_ratio_alone():
    """With random block sizes, whoever knows the ratio and the arms so far cannot tell the
    next arm: guessing "the arm that is behind" is wrong in a real share of places (with one
    fixed block size of 2 it would always be right)."""
    wrong = guesses = 0
    for stratum in (1, 2, 3, 4):
        counts: Counter[str] = Counter()
        for allocation in stratum_list(ONE_TO_ONE, 3, stratum, 999):
            if counts["MSC"] != counts["SHAM"]:
                guess = "MSC" if counts["MSC"] < counts["SHAM"] else "SHAM"
                guesses += 1
                wrong += guess != allocation.arm
            counts[allocation.arm] += 1
    # Expected share with sizes 2 and 4 equally likely: (1/3) / (1 + 7/3) = 10 %.
    assert guesses > 1000
    assert 0.07 < wrong / guesses < 0.13


def _minimise(scheme, seed, levels_seq):
    previous: list = []
    for levels in levels_seq:
        allocation = minimisation_allocation(scheme, seed, levels, previous)
        previous.append((levels, allocation.arm))
    return previous


def _marginal_imbalance(history, factor_index):
    worst = 0
    levels = {lv[factor_index] for lv, _ in history}
    for level in levels:
        counts = Counter(arm for lv, arm in history if lv[factor_index] == level)
        worst = max(worst, abs(counts["MSC"] - counts["SHAM"]))
    return worst


def test_minimisation_keeps_every_factor_balanced_far_better_than_chance():
    strata = MINIMISATION.strata()
    rng = np.random.default_rng(2024)
    minimised, chance = [], []
    for seed in range(30):
        levels_seq = [strata[i] for i in rng.integers(0, len(strata), size=120)]
        history = _minimise(MINIMISATION, seed, levels_seq)
        minimised.append(max(_marginal_imbalance(history, f) for f in range(3)))
        coin = [(lv, "MSC" if rng.random() < 0.5 else "SHAM") for lv in levels_seq]
        chance.append(max(_marginal_imbalance(coin, f) for f in range(3)))
    # Bounded: no factor level is ever more than 6 apart in 120 subjects, and on average the
    # worst imbalance is less than half of what simple randomisation leaves.
    assert max(minimised) <= 6
    assert np.mean(minimised) < 0.5 * np.mean(chance)


def test_minimisation_respects_an_unequal_ratio():
    scheme = RandomisationScheme(
        method="minimisation",
        arms=(Arm("A", "a", 1), Arm("B", "b", 2), Arm("C", "c", 2)),
        stratify_by=("onset_site", "sex"),
        minimisation_probability=0.8,
    )
    strata = scheme.strata()
    rng = np.random.default_rng(7)
    levels_seq = [strata[i] for i in rng.integers(0, len(strata), size=500)]
    history = _minimise(scheme, 1, levels_seq)
    counts = Counter(arm for _, arm in history)
    assert abs(counts["A"] / 500 - 0.2) < 0.03
    assert abs(counts["B"] / 500 - 0.4) < 0.04
    assert abs(counts["C"] / 500 - 0.4) < 0.04


def test_minimisation_has_a_random_element_and_is_reproducible():
    strata = MINIMISATION.strata()
    rng = np.random.default_rng(3)
    levels_seq = [strata[i] for i in rng.integers(0, len(strata), size=400)]
    first = _minimise(MINIMISATION, 42, levels_seq)
    assert _minimise(MINIMISATION, 42, levels_seq) == first
    assert _minimise(MINIMISATION, 43, levels_seq) != first
    # Count how often the least-imbalanced arm (when unique) was not taken: about
    # (1 - p) x 1/2 = 10 % with p = 0.8 and a 1:1 ratio.
    from alstrial.domain.randomisation import _imbalances

    ratios = np.ones(2)
    against, unique = 0, 0
    for k, (levels, arm) in enumerate(first):
        imbalance = _imbalances(MINIMISATION, levels, first[:k], ratios)
        if imbalance[0] != imbalance[1]:
            unique += 1
            against += MINIMISATION.arm_codes[int(np.argmin(imbalance))] != arm
    assert unique > 100
    assert 0.04 < against / unique < 0.18


def test_subject_levels_name_missing_or_bad_factors():
    assert subject_levels(ONE_TO_ONE, {"onset_site": "other", "lead_in_decline": 1.0}) == (
        "non_bulbar",
        "fast",
    )
    assert subject_levels(ONE_TO_ONE, {"onset_site": "bulbar", "lead_in_decline": 0.99}) == (
        "bulbar",
        "slow",
    )
    with pytest.raises(ValidationError) as caught:
        subject_levels(ONE_TO_ONE, {"onset_site": "<b>"})
    assert set(caught.value.by_field()) == {"onset_site", "lead_in_decline"}


def test_dry_run_rows_per_stratum_and_minimisation():
    rows = dry_run(ONE_TO_ONE, 1, 10)
    assert len(rows) == 40
    assert Counter(r.stratum for r in rows) == {s: 10 for s in ONE_TO_ONE.strata()}
    rows = dry_run(MINIMISATION, 1, 50)
    assert [r.randomisation_number for r in rows] == list(range(1, 51))
    assert all(r.block is None for r in rows)
    with pytest.raises(ValidationError):
        dry_run(ONE_TO_ONE, 1, 1000)

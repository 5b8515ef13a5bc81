"""Randomisation schemes: stratified permuted blocks of random sizes, and minimisation.

Pure rules, no I/O. A scheme is declared in the protocol's ``[randomisation]`` section
(``docs/protocols.md``, "Randomisation"); the web app seals a secret seed per trial and asks this
module which arm the next subject gets, so the same seed always gives the same allocations and
the trial statistician can regenerate the whole list from it.

Methods
- ``permuted_blocks``: one sequence per stratum, made of blocks whose size is drawn at random
  from ``block_sizes`` (each a multiple of the sum of the arm ratios); every block holds each arm
  ``ratio x size / ratio sum`` times in a random order (ICH E9 section 2.3.1; random block sizes
  keep the next allocation unpredictable to a site that knows the ratio). Within a stratum the
  arm counts never differ from the target ratio by more than half the largest block.
- ``minimisation``: Pocock and Simon (Biometrics 1975;31:103-115) with a random element: for each
  arm, the imbalance the new subject would cause is summed over the stratification factors
  (range of the ratio-scaled counts among subjects with the same level), and the arm with the
  least imbalance is chosen with probability ``minimisation_probability``; otherwise, and to
  break ties, an arm is drawn with probabilities proportional to the ratios, which keeps the
  allocation ratio for unequal ratios (Kuznetsova and Tymofyeyev, Stat Med 2012;31:701-723).

Randomisation numbers: with permuted blocks a subject's number is ``stratum x 1000 + position``
(the stratum's list and the place in it: 1001, 1002, ... for the first stratum, 2001, ... for the
second), so a number found in the database can be checked against the regenerated list; a stratum
holds at most 999 subjects. With minimisation numbers run 1, 2, 3, ... over the trial.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from alstrial.domain.errors import FieldError, ValidationError

METHODS: tuple[str, ...] = ("permuted_blocks", "minimisation")
#: What each arm's participants receive: the cell product, or a placebo preparation (vehicle
#: only) that is labelled and handled identically.
PREPARATIONS: tuple[str, ...] = ("active", "placebo")
#: The procedure at each administration: the real route (e.g. lumbar puncture), or a sham one.
PROCEDURES: tuple[str, ...] = ("real", "sham")

#: Stratification factors alstrial knows and their levels. ``onset_site`` groups spinal (limb)
#: and other onsets as ``non_bulbar``; ``lead_in_decline`` is ``fast`` at or above the
#: protocol's ``fast_decline_points_per_month`` (points lost per month over the lead-in).
FACTOR_LEVELS: dict[str, tuple[str, ...]] = {
    "onset_site": ("bulbar", "non_bulbar"),
    "lead_in_decline": ("slow", "fast"),
    "sex": ("female", "male"),
}

#: A stratum's list holds positions 1..999 (the number is stratum x 1000 + position).
STRATUM_CAPACITY = 999


@dataclass(frozen=True)
class Arm:
    """A treatment arm: its ``code`` (e.g. ``MSC``; SDTM ARMCD), name, integer ``ratio``, the
    ``preparation`` its participants get and whether their procedure is ``real`` or ``sham``."""

    code: str
    name: str
    ratio: int
    preparation: str = "active"
    procedure: str = "real"

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class RandomisationScheme:
    """How a trial allocates: arms and ratio, stratification factors and the method.

    ``block_sizes`` (permuted blocks) are whole multiples of :attr:`ratio_sum`;
    ``minimisation_probability`` is the chance of taking the least-imbalanced arm (0.5-0.95);
    ``fast_decline_points_per_month`` splits ``lead_in_decline`` into slow and fast.
    """

    method: str
    arms: tuple[Arm, ...]
    stratify_by: tuple[str, ...] = ()
    block_sizes: tuple[int, ...] = ()
    minimisation_probability: float = 0.8
    fast_decline_points_per_month: float | None = None

    @property
    def ratio_sum(self) -> int:
        return sum(arm.ratio for arm in self.arms)

    @property
    def arm_codes(self) -> tuple[str, ...]:
        return tuple(arm.code for arm in self.arms)

    @property
    def ratio_text(self) -> str:
        """The allocation ratio as people write it, e.g. ``1:2:2``."""
        return ":".join(str(arm.ratio) for arm in self.arms)

    def arm(self, code: str) -> Arm:
        for arm in self.arms:
            if arm.code == code:
                return arm
        raise KeyError(code)

    def strata(self) -> tuple[tuple[str, ...], ...]:
        """Every stratum (one level per factor, in ``stratify_by`` order); stratum 1 is first.

        Without stratification factors there is one stratum, ``()``.
        """
        return tuple(itertools.product(*(FACTOR_LEVELS[f] for f in self.stratify_by)))

    def stratum_number(self, levels: Sequence[str]) -> int:
        """The 1-based number of the stratum with these levels."""
        return self.strata().index(tuple(levels)) + 1

    def stratum_label(self, levels: Sequence[str]) -> str:
        """``onset_site=bulbar, lead_in_decline=fast`` (``all`` without factors)."""
        if not self.stratify_by:
            return "all"
        return ", ".join(f"{f}={v}" for f, v in zip(self.stratify_by, levels, strict=True))

    def describe(self) -> str:
        """One line for people: method, ratio, arms and strata."""
        arms = ":".join(arm.code for arm in self.arms)
        if self.method == "permuted_blocks":
            sizes = ", ".join(str(size) for size in self.block_sizes)
            method = f"permuted blocks of random size ({sizes})"
        else:
            method = f"minimisation (Pocock-Simon, p = {self.minimisation_probability:g})"
        text = f"{self.ratio_text} {arms}, {method}"
        if self.stratify_by:
            text += f", stratified by {', '.join(self.stratify_by)}"
        if self.fast_decline_points_per_month is not None:
            text += f" (fast decline >= {self.fast_decline_points_per_month:g} points/month)"
        return text

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Allocation:
    """One allocation: its randomisation number, stratum levels, block (permuted blocks only:
    block number within the stratum's list and its size) and the arm code."""

    randomisation_number: int
    stratum: tuple[str, ...]
    arm: str
    block: int | None = None
    block_size: int | None = None


def subject_levels(
    scheme: RandomisationScheme, characteristics: Mapping[str, object]
) -> tuple[str, ...]:
    """The subject's level of each stratification factor, from what is known at randomisation.

    ``characteristics`` holds ``onset_site`` (bulbar, spinal or other), ``sex`` (female or
    male) and ``lead_in_decline`` (points lost per month over the lead-in; positive = decline).
    Raises :class:`ValidationError` naming each factor that is missing or out of range.
    """
    levels: list[str] = []
    errors: list[FieldError] = []
    for factor in scheme.stratify_by:
        value = characteristics.get(factor)
        try:
            levels.append(_level(scheme, factor, value))
        except FieldError as error:
            errors.append(error)
    if errors:
        raise ValidationError(errors)
    return tuple(levels)


def _level(scheme: RandomisationScheme, factor: str, value: object) -> str:
    if value is None or value == "":
        raise FieldError(factor, "is needed to randomise (a stratification factor) but is missing")
    if factor == "onset_site":
        if value not in ("bulbar", "spinal", "other"):
            raise FieldError(factor, f"must be bulbar, spinal or other, got {value!r}")
        return "bulbar" if value == "bulbar" else "non_bulbar"
    if factor == "sex":
        if value not in FACTOR_LEVELS["sex"]:
            raise FieldError(factor, f"must be female or male, got {value!r}")
        return str(value)
    if factor == "lead_in_decline":
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise FieldError(factor, f"must be a number of points/month, got {value!r}")
        threshold = scheme.fast_decline_points_per_month
        return "fast" if value >= threshold else "slow"
    raise FieldError(factor, "is not a known stratification factor")


def _stream(seed: int, *key: int) -> np.random.Generator:
    """An independent random stream for one stratum list or one minimisation step."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


# Stream keys: one family for block lists (by stratum), one for minimisation (by number).
_BLOCK_STREAMS = 1
_MINIMISATION_STREAMS = 2


def stratum_list(
    scheme: RandomisationScheme, seed: int, stratum: int, length: int
) -> list[Allocation]:
    """The first ``length`` allocations of stratum number ``stratum`` (permuted blocks).

    The list depends only on the scheme, the seed and the stratum, so allocating the k-th
    subject of a stratum means taking the k-th entry; blocks are drawn whole, so the list is a
    prefix of the same infinite list whatever ``length`` is asked for.
    """
    if scheme.method != "permuted_blocks":
        raise ValueError(f"stratum lists belong to permuted blocks, not {scheme.method}")
    if not 1 <= length <= STRATUM_CAPACITY:
        raise ValidationError(
            [FieldError("subjects", f"a stratum list holds 1 to {STRATUM_CAPACITY} subjects")]
        )
    levels = scheme.strata()[stratum - 1]
    rng = _stream(seed, _BLOCK_STREAMS, stratum)
    out: list[Allocation] = []
    block = 0
    while len(out) < length:
        block += 1
        size = int(rng.choice(scheme.block_sizes))
        per_unit = size // scheme.ratio_sum
        contents = [arm.code for arm in scheme.arms for _ in range(arm.ratio * per_unit)]
        for code in rng.permutation(np.array(contents, dtype=object)):
            if len(out) == length:
                break
            position = len(out) + 1
            out.append(Allocation(stratum * 1000 + position, levels, str(code), block, size))
    return out


def next_block_allocation(
    scheme: RandomisationScheme, seed: int, levels: Sequence[str], already_in_stratum: int
) -> Allocation:
    """The allocation of the next subject in the stratum with ``levels`` (permuted blocks),
    given how many subjects that stratum already holds."""
    stratum = scheme.stratum_number(levels)
    if already_in_stratum >= STRATUM_CAPACITY:
        raise ValidationError(
            [FieldError("stratum", f"stratum {stratum} is full ({STRATUM_CAPACITY} subjects)")]
        )
    return stratum_list(scheme, seed, stratum, already_in_stratum + 1)[-1]


def minimisation_allocation(
    scheme: RandomisationScheme,
    seed: int,
    levels: Sequence[str],
    previous: Sequence[tuple[Sequence[str], str]],
) -> Allocation:
    """The allocation of the next subject by minimisation, given every earlier allocation of
    the trial as ``(levels, arm code)`` in randomisation order."""
    number = len(previous) + 1
    rng = _stream(seed, _MINIMISATION_STREAMS, number)
    ratios = np.array([arm.ratio for arm in scheme.arms], dtype=float)
    imbalance = _imbalances(scheme, levels, previous, ratios)
    ratio_draw = rng.random()
    take_best = rng.random() < scheme.minimisation_probability
    candidates = np.flatnonzero(imbalance == imbalance.min())
    if not take_best or len(candidates) == len(ratios):
        candidates = np.arange(len(ratios))
    weights = ratios[candidates] / ratios[candidates].sum()
    chosen = candidates[
        min(np.searchsorted(np.cumsum(weights), ratio_draw, side="right"), len(candidates) - 1)
    ]
    return Allocation(number, tuple(levels), scheme.arms[chosen].code)


def _imbalances(
    scheme: RandomisationScheme,
    levels: Sequence[str],
    previous: Sequence[tuple[Sequence[str], str]],
    ratios: np.ndarray,
) -> np.ndarray:
    """Total imbalance (Pocock-Simon, range of ratio-scaled counts) if the subject went to each
    arm, summed over factors with equal weights."""
    codes = scheme.arm_codes
    totals = np.zeros(len(codes))
    for index, level in enumerate(levels):
        counts = np.zeros(len(codes))
        for earlier_levels, arm in previous:
            if earlier_levels[index] == level:
                counts[codes.index(arm)] += 1
        for candidate in range(len(codes)):
            trial = counts.copy()
            trial[candidate] += 1
            scaled = trial / ratios
            totals[candidate] += scaled.max() - scaled.min()
    return totals


def dry_run(scheme: RandomisationScheme, seed: int, subjects: int) -> list[Allocation]:
    """What the scheme would allocate, for the statistician to review before the trial starts.

    Permuted blocks: each stratum's list of ``subjects`` allocations (one row per subject per
    stratum list). Minimisation: ``subjects`` subjects in turn, each with stratification levels
    drawn at random (equally likely, from a stream of its own), allocated as the live system
    would allocate them.
    """
    if subjects < 1:
        raise ValidationError([FieldError("subjects", "must be at least 1")])
    if scheme.method == "permuted_blocks":
        return [
            allocation
            for stratum in range(1, len(scheme.strata()) + 1)
            for allocation in stratum_list(scheme, seed, stratum, subjects)
        ]
    strata = scheme.strata()
    draws = _stream(seed, 0).integers(0, len(strata), size=subjects)
    out: list[Allocation] = []
    for draw in draws:
        levels = strata[int(draw)]
        out.append(minimisation_allocation(scheme, seed, levels, [(a.stratum, a.arm) for a in out]))
    return out

"""Read and check a protocol's ``[randomisation]`` section (format: ``docs/protocols.md``).

The section is required when ``analysis.control = "randomised"`` and refused otherwise, so a
randomised trial cannot run without a declared scheme and an uncontrolled one cannot carry one by
mistake. The scheme itself is :class:`alstrial.domain.randomisation.RandomisationScheme`.
"""

from __future__ import annotations

from alstrial.domain.protocol_model import AnalysisSettings, Phase, Route
from alstrial.domain.protocol_reader import Errors, Table
from alstrial.domain.randomisation import (
    FACTOR_LEVELS,
    METHODS,
    PREPARATIONS,
    PROCEDURES,
    Arm,
    RandomisationScheme,
)

#: Ratios above this are almost certainly a typo (1:20 is not a trial design).
MAX_RATIO = 10
#: Minimisation's random element: below 0.5 it is worse than a coin; at 1 it is predictable.
MINIMISATION_PROBABILITY_RANGE = (0.5, 0.95)


def read_arm(t: Table) -> Arm | None:
    before = len(t.errors)
    with t:
        arm = Arm(
            code=t.string("code", code=True),
            name=t.string("name"),
            ratio=t.number("ratio", integer=True, minimum=1, maximum=MAX_RATIO),
            preparation=t.string("preparation", required=False, choices=PREPARATIONS) or "active",
            procedure=t.string("procedure", required=False, choices=PROCEDURES) or "real",
        )
    return arm if len(t.errors) == before else None


def read_randomisation(t: Table) -> RandomisationScheme | None:
    """The scheme, or ``None`` when the section has an error (every error is recorded)."""
    before = len(t.errors)
    with t:
        method = t.string("method", choices=METHODS)
        arm_tables = t.tables("arms") or []
        arms = [read_arm(a) for a in arm_tables]
        stratify_by = (
            t.string_list(
                "stratify_by", required=False, choices=tuple(FACTOR_LEVELS), allow_empty=True
            )
            or ()
        )
        block_sizes = t.integer_list("block_sizes", required=method == "permuted_blocks", minimum=1)
        probability = t.number(
            "minimisation_probability",
            required=False,
            minimum=MINIMISATION_PROBABILITY_RANGE[0],
            maximum=MINIMISATION_PROBABILITY_RANGE[1],
        )
        fast = t.number("fast_decline_points_per_month", required=False, positive=True)
    if len(t.errors) > before or method is None or any(a is None for a in arms):
        return None
    _check_arms(t, arms)
    if method == "permuted_blocks":
        if probability is not None:
            t.errors.add(t.key("minimisation_probability"), "applies to minimisation only")
        ratio_sum = sum(arm.ratio for arm in arms)
        for index, size in enumerate(block_sizes or ()):
            if size % ratio_sum:
                t.errors.add(
                    f"{t.key('block_sizes')}[{index}]",
                    f"{size} is not a multiple of the ratio sum {ratio_sum} "
                    f"({':'.join(str(a.ratio) for a in arms)})",
                )
    else:
        if block_sizes is not None:
            t.errors.add(t.key("block_sizes"), "applies to permuted_blocks only")
        if not stratify_by:
            t.errors.add(t.key("stratify_by"), "minimisation needs at least one factor")
    if "lead_in_decline" in stratify_by and fast is None:
        t.errors.add(
            t.key("fast_decline_points_per_month"),
            "required when stratifying by lead_in_decline (the fast/slow cut-off)",
        )
    if fast is not None and "lead_in_decline" not in stratify_by:
        t.errors.add(
            t.key("fast_decline_points_per_month"),
            "applies only when stratifying by lead_in_decline",
        )
    if len(t.errors) > before:
        return None
    return RandomisationScheme(
        method=method,
        arms=tuple(arms),
        stratify_by=stratify_by,
        block_sizes=block_sizes or (),
        minimisation_probability=probability if probability is not None else 0.8,
        fast_decline_points_per_month=fast,
    )


def _check_arms(t: Table, arms: list[Arm]) -> None:
    key = t.key("arms")
    if len(arms) < 2:
        t.errors.add(key, "a randomised trial needs at least two arms")
    seen: set[str] = set()
    for index, arm in enumerate(arms):
        if arm.code in seen:
            t.errors.add(f"{key}[{index}].code", f"{arm.code!r} is used by two arms")
        seen.add(arm.code)
    if arms and not any(arm.preparation == "active" for arm in arms):
        t.errors.add(key, "no arm receives the active preparation")


def check_randomisation(
    scheme: RandomisationScheme | None,
    analysis: AnalysisSettings,
    phases: list[Phase],
    route: Route | None,
    present: bool,
    errors: Errors,
) -> None:
    """Rules across sections: randomised control <=> a scheme; a lead-in for lead-in strata;
    a sham procedure needs a route that has a procedure to imitate."""
    randomised = analysis.control == "randomised"
    if randomised and not present:
        errors.add("randomisation", "required when analysis.control = 'randomised'")
    if present and not randomised:
        errors.add("randomisation", "applies only when analysis.control = 'randomised'")
    if scheme is None:
        return
    if "lead_in_decline" in scheme.stratify_by and not any(p.epoch == "RUN-IN" for p in phases):
        errors.add("randomisation.stratify_by", "lead_in_decline needs a lead-in (a RUN-IN phase)")
    if route is not None and route.procedure is None:
        for index, arm in enumerate(scheme.arms):
            if arm.procedure == "sham":
                errors.add(
                    f"randomisation.arms[{index}].procedure",
                    f"a sham procedure needs a route with a procedure; {route.name} has none",
                )

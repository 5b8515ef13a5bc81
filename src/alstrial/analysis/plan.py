"""The pre-specified analyses in the result: the ``--json`` key ``primary`` and the ordered list
the report leads with (docs/analysis.md, "Analysis plan").

Each analysis name of the protocol's plan (:data:`alstrial.domain.analysis_plan.ANALYSES`) reads
one estimate, its confidence interval and its p-value from fixed fields of the result object
(``TrialAnalysis.to_dict()``), so the primary printed is the number of the analysis it names,
never a copy computed apart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alstrial.domain.analysis_plan import ANALYSES, AnalysisPlan
from alstrial.domain.errors import FieldError
from alstrial.domain.plan_lock import LockedPlan, deviations

Reader = Callable[[dict[str, Any]], tuple[Any, Any, Any, Any]]


def _between(outcome: str) -> Reader:
    def read(result: dict[str, Any]):
        b = result["between_arms"][outcome]
        return b["difference"], *b["difference_ci"], b["welch_t_p"]

    return read


def _rank(result: dict[str, Any]):
    b = result["between_arms"]["change"]
    return b["hodges_lehmann"]["estimate"], *b["hodges_lehmann"]["ci"], b["mann_whitney_p"]


def _mixed(model: str, key: str) -> Reader:
    def read(result: dict[str, Any]):
        m = result["mixed_model"][model]
        return m[key], *m[f"{key}_ci"], m[f"{key}_p"]

    return read


def _paired(result: dict[str, Any]):
    t = result["arms"]["treated"]
    d = t["mean_slope_difference"]
    return d["estimate"], *d["ci"], t["paired_t_p"]


def _mmrm(result: dict[str, Any]):
    d = result["mmrm"]["treatment_difference"]
    return d["estimate"], d["ci_low"], d["ci_high"], d["p"]


def _ancova(result: dict[str, Any]):
    a = result["ancova"]
    return a["estimate"], a["ci_low"], a["ci_high"], a["p"]


def _cox(result: dict[str, Any]):
    c = result["survival"]["cox"]
    return c["hazard_ratio"], c["ci_low"], c["ci_high"], c["p"]


def _rmst(result: dict[str, Any]):
    r = result["survival"]["rmst"]
    # The RMST has a standard error and p-value but no interval in the result: none is invented.
    return r["difference"], None, None, r["p"]


#: Where each analysis of the vocabulary reads (estimate, ci_low, ci_high, p) in the result, and
#: the method printed beside it.
READERS: dict[str, tuple[str, Reader]] = {
    "change_vs_control": ("Welch t-test", _between("change")),
    "change_vs_control_rank": ("Hodges-Lehmann estimate, Mann-Whitney U test", _rank),
    "slope_vs_control": ("Welch t-test", _between("follow_up_slope")),
    "slope_change_vs_control_mixed": (
        "linear mixed model (REML)",
        _mixed("two_arm", "slope_change_difference"),
    ),
    "slope_change_treated_mixed": (
        "linear mixed model (REML)",
        _mixed("treated", "slope_change"),
    ),
    "slope_change_treated_paired": ("paired t-test", _paired),
    "mmrm_difference": ("MMRM, least-squares means", _mmrm),
    "ancova_change": ("ANCOVA", _ancova),
    "survival_hazard_ratio": ("Cox proportional hazards (Efron ties, Wald p)", _cox),
    "rmst_difference": ("restricted mean survival time", _rmst),
}


def planned_result(name: str, result: dict[str, Any]) -> dict[str, Any]:
    """``name``, ``label``, ``method``, ``estimate``, ``ci_low``, ``ci_high``, ``p`` of one
    planned analysis read from the result object. A name whose analysis did not run (e.g. a
    two-arm test without controls) is a :class:`FieldError` naming it."""
    method, read = READERS[name]
    try:
        estimate, low, high, p = read(result)
    except (KeyError, TypeError) as missing:
        raise FieldError(
            "analysis.primary", f"{name}: the analysis did not produce it ({missing})"
        ) from None
    return {
        "name": name,
        "label": ANALYSES[name].label,
        "method": method,
        "estimate": estimate,
        "ci_low": low,
        "ci_high": high,
        "p": p,
    }


def primary_entry(
    plan: AnalysisPlan | None, result: dict[str, Any], locked_sha256: str | None = None
) -> dict[str, Any] | None:
    """The ``--json`` key ``primary`` (docs/interfaces.md): ``name``, ``method``, ``estimate``,
    ``ci_low``, ``ci_high``, ``p``, ``locked_sha256`` (the locked plan's hash, or None); None
    without a plan."""
    if plan is None:
        return None
    entry = planned_result(plan.primary, result)
    entry.pop("label")
    return {**entry, "locked_sha256": locked_sha256}


def planned_results(plan: AnalysisPlan, result: dict[str, Any]) -> list[dict[str, Any]]:
    """The primary, then each secondary in the plan's order, each with its ``role``; a
    secondary whose analysis did not run is left out rather than failing the report."""
    rows = [{**planned_result(plan.primary, result), "role": "primary"}]
    for name in plan.secondaries:
        try:
            rows.append({**planned_result(name, result), "role": "secondary"})
        except FieldError:
            continue
    return rows


def plan_record(
    plan: AnalysisPlan | None,
    result: dict[str, Any],
    locked: LockedPlan | None = None,
    protocol_sha256: str | None = None,
) -> dict[str, Any] | None:
    """The ``--json`` key ``analysis_plan``: the estimand, the planned results in order (primary,
    then secondaries), and the lock: ``locked_sha256``, ``locked_at``, the design's simulated
    ``type_i_error`` of the primary, and ``deviations`` (settings used, plan and, when known,
    protocol, against the locked ones). None without a plan."""
    if plan is None:
        return None
    current: dict[str, Any] = {"plan": plan.to_dict(), "settings": result["settings"]}
    if protocol_sha256 is not None:
        current["protocol_sha256"] = protocol_sha256
    locked_settings = {} if locked is None else locked.content.get("settings") or {}
    # Settings the run adds beyond the locked ones (e.g. a randomised design's) are described
    # by the run itself; only the locked keys are compared.
    current["settings"] = {k: v for k, v in result["settings"].items() if k in locked_settings}
    return {
        "estimand": plan.estimand,
        "results": planned_results(plan, result),
        "locked_sha256": None if locked is None else locked.sha256,
        "locked_at": None if locked is None else locked.locked_at,
        "type_i_error": None if locked is None else locked.type_i_error,
        "deviations": [] if locked is None else deviations(locked.content, current),
    }

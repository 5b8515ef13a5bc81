"""The report's opening: the pre-specified primary, then the secondaries, with the locked plan's
hash, lock time and deviations (docs/report.md, "The primary first")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alstrial.analysis.report.tables import Table, number, p_equals, p_value


def _interval(row: Mapping[str, Any]) -> str:
    if row["ci_low"] is None or row["ci_high"] is None:
        return "–"
    return f"{number(row['ci_low'])} to {number(row['ci_high'])}"


def planned_table(plan: Mapping[str, Any]) -> Table:
    """One row per planned analysis, the primary first; the primary row carries the design's
    simulated type I error (from the lock) beside its p-value."""
    type_i = plan.get("type_i_error")
    rows = []
    for row in plan["results"]:
        simulated = number(type_i, 3) if row["role"] == "primary" and type_i is not None else "–"
        rows.append(
            [
                row["role"].capitalize(),
                row["label"],
                row["method"],
                number(row["estimate"], 2, signed=True),
                _interval(row),
                p_value(row["p"]),
                simulated,
            ]
        )
    return Table(
        title="Pre-specified analyses (primary first, then secondaries in the plan's order)",
        columns=[
            "Role",
            "Analysis",
            "Method",
            "Estimate",
            "95% CI",
            "p",
            "Simulated type I error",
        ],
        rows=rows,
        numeric_from=3,
        key="planned",
        note="Every other number in this report is exploratory. The simulated type I error is "
        "the design's, frozen when the plan was locked.",
    )


def planned_view(plan: Mapping[str, Any]) -> dict[str, Any]:
    """What the template shows: the primary in words, the table, the lock and deviations."""
    primary = plan["results"][0]
    return {
        "estimand": plan["estimand"],
        "primary": primary,
        "primary_text": (
            f"{primary['label']}: {number(primary['estimate'], 2, signed=True)} "
            f"(95% CI {_interval(primary)}), {p_equals(primary['p'])}"
        ),
        "table": planned_table(plan),
        "locked_sha256": plan["locked_sha256"],
        "locked_at": plan["locked_at"],
        "type_i_error": plan["type_i_error"],
        "deviations": list(plan["deviations"]),
    }

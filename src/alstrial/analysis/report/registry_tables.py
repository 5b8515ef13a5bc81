"""Report tables for the external controls: registry flow, matching settings, balance, and the
natural-history check of the lead-in design."""

from __future__ import annotations

from alstrial.analysis.controls import MatchResult
from alstrial.analysis.report.figures import covariate_label
from alstrial.analysis.report.honesty import NaturalHistoryCheck
from alstrial.analysis.report.tables import Table, number, p_value

FLOW_LABELS = {
    "registry_patients": "Registry patients",
    "visits_after_death_dropped": "Visits after death, left out",
    "duplicate_visit_days_dropped": "Repeated visits on one day, left out (first kept)",
    "fractional_totals_dropped": "Visits with a fractional ALSFRS-R total, left out",
    "without_revised_visits": "Patients without a revised-scale (ALSFRS-R) visit",
    "without_onset_or_age": "Patients without age, or without an onset day before their visits",
    "without_lead_in": "Patients without a lead-in (no visit one lead-in before a visit)",
    "eligible": "Eligible candidates",
    "without_matching_covariates": "Eligible, but a matching covariate is empty (not matched)",
}


def registry_flow_table(match: MatchResult) -> Table:
    rows = [[FLOW_LABELS.get(k, k), str(v)] for k, v in match.flow.items()]
    # Every treated subject is either matched or listed in ``unmatched`` with the reason.
    n_matched = match.matches["treated_id"].nunique()
    rows.append(
        [
            "Treated subjects matched",
            f"{n_matched} of {n_matched + len(match.unmatched)}",
        ]
    )
    rows.append(
        ["Registry controls matched (distinct)", str(match.matches["control_id"].nunique())]
    )
    s = match.settings
    return Table(
        title="Registry patients: from the registry to the matched control arm",
        columns=["Step", "n"],
        rows=rows,
        note=f"Index day rule: {s['index_rule']}; lead-in {s['lead_in_days']} days, "
        f"follow-up {s['follow_up_days']} days, visit window ±{s['window_days']} days.",
        key="registry_flow",
    )


def matcher_rows(match: MatchResult) -> list[tuple[str, str]]:
    p = match.params
    rows = [
        (
            "Distance",
            {
                "mahalanobis": "Mahalanobis (pooled within-group covariance)",
                "propensity": "propensity score logit (unpenalised logistic regression)",
            }[p["distance"]],
        ),
        ("Covariates", ", ".join(p["covariates"])),
        ("Exact matching on", ", ".join(p["exact"]) or "none"),
        ("Ratio", f"1:{p['ratio']}, {'with' if p['replace'] else 'without'} replacement"),
        ("Greedy order", p["order"]),
        ("Caliper", "none" if p["caliper"] is None else f"{p['caliper']:g} SD"),
    ]
    widths = [f"{k} ±{number(v, 3)}" for k, v in match.caliper_widths.items() if v != float("inf")]
    if widths:
        rows.append(("Caliper widths", "; ".join(widths)))
    return rows


def balance_view(match: MatchResult) -> Table:
    table = match.balance.summary()
    rows = []
    classes = []
    for name, row in table.iterrows():
        binary = row["type"] == "binary"
        digits = 2
        rows.append(
            [
                covariate_label(str(name)) + (" (proportion)" if binary else ""),
                number(row["mean_treated_before"], digits),
                number(row["mean_control_before"], digits),
                number(row["smd_before"], 3, signed=True),
                number(row["var_ratio_before"], 2),
                number(row["mean_treated_after"], digits),
                number(row["mean_control_after"], digits),
                number(row["smd_after"], 3, signed=True),
                number(row["var_ratio_after"], 2),
            ]
        )
        classes.append("flag" if str(name) in match.balance.imbalanced else "")
    sizes = match.balance.sample_sizes
    return Table(
        title="Covariate balance before and after matching",
        columns=[
            "Covariate",
            "Treated (all)",
            "Registry (all)",
            "SMD",
            "Var. ratio",
            "Treated (matched)",
            "Controls (matched)",
            "SMD",
            "Var. ratio",
        ],
        rows=rows,
        note="SMD = (treated − control mean) / SD of the treated before matching (ATT, as "
        "MatchIt); binary covariates as proportions with SD √(p(1−p)); variance ratio = treated"
        " / control. Controls are weighted by their matching weights. Rows in bold have |SMD| > "
        f"{match.balance.threshold:g} after matching. n: treated {sizes['treated_before']} → "
        f"{sizes['treated_after']}; registry {sizes['control_before']} → "
        f"{sizes['control_after']} (effective sample size {sizes['control_ess']:.1f}).",
        key="balance",
        row_classes=tuple(classes),
    )


def unmatched_table(match: MatchResult) -> Table:
    rows = [[str(r.treated_id), str(r.reason)] for r in match.unmatched.itertuples()]
    return Table(
        title="Treated subjects without a registry control",
        columns=["Subject", "Why"],
        rows=rows,
        key="unmatched",
        numeric_from=2,
    )


def natural_history_table(check: NaturalHistoryCheck) -> Table:
    rows = [
        [
            r.description,
            str(r.n),
            number(r.mean_lead_in_slope, 2),
            number(r.mean_follow_up_slope, 2),
            f"{number(r.difference, 2, signed=True)} ({number(r.ci_low, 2)} to "
            f"{number(r.ci_high, 2)})",
            p_value(r.p_value),
        ]
        for r in check.rows
    ]
    return Table(
        title="Untreated registry patients: lead-in vs follow-up slope",
        columns=[
            "Registry patients",
            "n",
            "Lead-in slope",
            "Follow-up slope",
            f"Follow-up − lead-in ({check.confidence:.0%} CI)",
            "Paired t p",
        ],
        rows=rows,
        note="Points/month, signed (negative = decline); same windows as the trial. Nobody here "
        "was treated: any difference is what the design produces on its own.",
        key="natural_history",
    )


def pairs_table(match: MatchResult) -> Table:
    """Every matched pair with its distance, for an auditor to check any single match."""
    rows = [
        [str(r.treated_id), str(r.control_id), str(r.round), number(r.distance, 3)]
        for r in match.matches.itertuples()
    ]
    unit = "|Δ logit|" if match.params["distance"] == "propensity" else "Mahalanobis"
    return Table(
        title="Matched pairs",
        columns=["Treated", "Registry control", "Round", f"Distance ({unit})"],
        rows=rows,
        note="Round k is the k-th control of a treated subject (1:k matching in rounds).",
        key="pairs",
        numeric_from=2,
    )

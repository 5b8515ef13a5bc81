"""Report tables: result objects turned into rows of formatted text, nothing recomputed.

Every number comes from a result object (:class:`~alstrial.analysis.efficacy.EfficacyResult`,
:class:`~alstrial.analysis.controls.MatchResult`, ...). The only arithmetic here is
presentation: standard deviations of the per-subject values in the result's own slope table,
and the Kim et al. 2009 convention (decline per 3 months = -3 x slope; change shown as points
lost), which is labelled wherever it is used.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from alstrial.analysis.data import ARMS, AnalysisData
from alstrial.analysis.efficacy import EfficacyResult
from alstrial.analysis.results import Estimate, TestResult
from alstrial.analysis.slopes import EXCLUSION_RULES
from alstrial.domain.time import DAYS_PER_MONTH

ARM_LABELS = {"treated": "MSC-treated", "control": "Control"}
DASH = "–"
#: More columns than this are printed on a landscape page (report.css ``@page wide``).
PORTRAIT_COLUMNS = 8
#: A frame's column naming each row's IANA time zone (its site's), for showing moments.
ZONE_COLUMN = "time_zone"
SEX_LABELS = {"m": "male", "male": "male", "f": "female", "female": "female"}
#: Kim et al. 2009 (docs/domain.md, 'The reference studies'): decline per 3 months, positive =
#: points lost.
KIM_2009 = {
    "treated": {"lead_in": 2.68, "follow_up": 1.54, "p": "0.04"},
    "control": {"lead_in": 3.15, "follow_up": 3.56, "p": "0.37"},
    "change_p": "<0.01",
}


@dataclass(frozen=True)
class Table:
    """A titled table of text cells; ``note`` says units and conventions."""

    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    note: str = ""
    key: str = ""
    numeric_from: int = 1  # columns from this index on are right-aligned numbers
    row_classes: Sequence[str] = field(default_factory=tuple)

    @property
    def wide(self) -> bool:
        """Printed on a landscape page: too many columns for a portrait page's width."""
        return len(self.columns) > PORTRAIT_COLUMNS


def number(value, digits: int = 2, signed: bool = False) -> str:
    """A number for a table; a dash when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return DASH
    if isinstance(value, float) and math.isinf(value):
        return "∞" if value > 0 else "−∞"
    text = f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"
    return text.replace("-", "−")


def p_value(value) -> str:
    """p with 3 decimals, ``<0.001`` below that; a dash when not computable."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def p_equals(value) -> str:
    """``p = 0.040`` or ``p < 0.001`` for running text."""
    text = p_value(value)
    if text == DASH:
        return "p not computable"
    return f"p {text[0]} {text[1:]}" if text.startswith("<") else f"p = {text}"


def mean_sd(values) -> str:
    values = pd.Series(values, dtype=float).dropna()
    if values.empty:
        return DASH
    sd = values.std(ddof=1) if len(values) > 1 else float("nan")
    return f"{number(values.mean())} ({number(sd)})"


def interval(estimate: Estimate, digits: int = 2) -> str:
    return (
        f"{number(estimate.estimate, digits, signed=True)} "
        f"({number(estimate.ci_low, digits)} to {number(estimate.ci_high, digits)})"
    )


def count_percent(count: int, n: int) -> str:
    return f"{count} ({100.0 * count / n:.0f}%)" if n else DASH


def baseline_table(data: AnalysisData, result: EfficacyResult) -> Table:
    """Baseline characteristics by arm, of the subjects analysed."""
    slopes = result.slopes.table.set_index("subject_id")
    subjects = data.subjects.set_index("subject_id")
    arms = [arm for arm in ARMS if (slopes["arm"] == arm).any()]
    groups = {arm: slopes.index[slopes["arm"] == arm] for arm in arms}
    rows: list[list[str]] = [["Subjects analysed", *[str(len(groups[a])) for a in arms]]]

    def continuous(label: str, values_of) -> None:
        rows.append([label, *[mean_sd(values_of(groups[a])) for a in arms]])

    continuous("Age at index, years", lambda ids: subjects.loc[ids, "age_years"])
    # Trial files and registries spell sex differently (male / M); show one spelling.
    sex = subjects["sex"].map(lambda v: SEX_LABELS.get(str(v).strip().lower(), v))
    for values, label in ((sex, "Sex"), (subjects["onset_site"], "Onset site")):
        levels = sorted(values.loc[slopes.index].dropna().astype(str).unique())
        for level in levels:
            rows.append(
                [
                    f"{label}: {level}, n (%)",
                    *[
                        count_percent(
                            int((values.loc[groups[a]].astype(str) == level).sum()),
                            len(groups[a]),
                        )
                        for a in arms
                    ],
                ]
            )
    duration = (subjects["index_day"] - subjects["onset_day"]).astype(float)
    continuous(
        "Disease duration at index, months",
        lambda ids: duration.loc[ids] / result.settings.days_per_month,
    )
    continuous("Baseline ALSFRS-R total, points", lambda ids: slopes.loc[ids, "baseline_total"])
    continuous("dFS (Kimura 2006), points/month", lambda ids: slopes.loc[ids, "delta_fs"])
    continuous("Lead-in slope, points/month", lambda ids: slopes.loc[ids, "lead_in_slope"])
    return Table(
        title="Baseline characteristics",
        columns=["", *[ARM_LABELS[a] for a in arms]],
        rows=rows,
        note="Mean (SD) unless stated. Months = days / "
        f"{result.settings.days_per_month:g}. Slopes are signed (negative = decline).",
        key="baseline",
    )


def _test_cell(test: TestResult) -> str:
    cell = p_value(test.p_value)
    return f"{cell} ({test.method})" if cell != DASH and test.method else cell


def paired_slopes(result: EfficacyResult, arm: str) -> pd.DataFrame:
    """The subjects of ``arm`` with both slopes: those the within-arm tests compare.

    Means shown beside a paired test are taken over these subjects, so that the two means and
    the p-value describe the same people (a subject without a follow-up slope would otherwise
    count in the lead-in mean only).
    """
    table = result.slopes.table
    return table[table["arm"] == arm].dropna(subset=["lead_in_slope", "follow_up_slope"])


def efficacy_table(result: EfficacyResult) -> Table:
    """Within-arm lead-in vs follow-up slopes (signed points/month) and their tests."""
    rows = []
    for arm, summary in result.arms.items():
        if summary.n == 0:
            continue
        group = paired_slopes(result, arm)
        rows.append(
            [
                ARM_LABELS[arm],
                f"{summary.n_paired} / {summary.n}",
                mean_sd(group["lead_in_slope"]),
                mean_sd(group["follow_up_slope"]),
                interval(summary.slope_difference),
                p_value(summary.paired_t.p_value),
                _test_cell(summary.wilcoxon),
            ]
        )
    confidence = f"{result.settings.confidence:.0%}"
    return Table(
        title="ALSFRS-R slope before and after the index day, within each arm",
        columns=[
            "Arm",
            "n with both slopes / n",
            "Lead-in slope, mean (SD)",
            "Follow-up slope, mean (SD)",
            f"Follow-up − lead-in ({confidence} CI)",
            "Paired t p",
            "Wilcoxon signed-rank p",
        ],
        rows=rows,
        note="Points/month, signed: negative is decline, a positive difference is a slower "
        "decline after the index day. Means and tests over the subjects with both slopes. "
        "Lead-in slope: "
        f"{result.settings.pre_slope}; follow-up: OLS from the last lead-in visit to "
        f"{result.settings.follow_up_days} days after the index day. Two-sided tests.",
        key="efficacy",
    )


def between_arms_table(result: EfficacyResult) -> Table:
    """Treated minus control: change in follow-up (points) and follow-up slope (points/month)."""
    labels = {
        "change": "ALSFRS-R change in follow-up, points",
        "follow_up_slope": "Follow-up slope, points/month",
    }
    rows = []
    for outcome, b in result.between_arms.items():
        rows.append(
            [
                labels.get(outcome, outcome),
                f"{number(b.mean_treated)} (n={b.n_treated})",
                f"{number(b.mean_control)} (n={b.n_control})",
                interval(b.difference),
                p_value(b.welch_t.p_value),
                _test_cell(b.mann_whitney),
            ]
        )
    confidence = f"{result.settings.confidence:.0%}"
    return Table(
        title="Treated vs control",
        columns=[
            "Outcome",
            "MSC-treated, mean",
            "Control, mean",
            f"Difference ({confidence} CI)",
            "Welch t p",
            "Mann–Whitney U p",
        ],
        rows=rows,
        note="Difference = treated mean − control mean (Welch interval). Change = total at the "
        "last follow-up visit − baseline total (negative = points lost).",
        key="between_arms",
    )


def kim_table(result: EfficacyResult) -> Table:
    """The efficacy numbers laid out as Kim et al. 2009 reported them (decline per 3 months)."""
    rows = []
    for arm, summary in result.arms.items():
        if summary.n == 0:
            continue
        reference = KIM_2009[arm]
        group = paired_slopes(result, arm)
        rows.append(
            [
                f"{ARM_LABELS[arm]} (n={len(group)})",
                number(-3.0 * group["lead_in_slope"].mean()),
                number(-3.0 * group["follow_up_slope"].mean()),
                p_value(summary.paired_t.p_value),
                number(-summary.mean_change),
                f"{reference['lead_in']:.2f} vs {reference['follow_up']:.2f} (p={reference['p']})",
            ]
        )
    change = result.between_arms.get("change")
    between = p_equals(change.welch_t.p_value) if change else "p not computable"
    return Table(
        title="Decline per 3 months, as in Kim et al. 2009 (positive = points lost)",
        columns=[
            "Arm",
            "Lead-in decline per 3 months",
            "Follow-up decline per 3 months",
            "p (lead-in vs follow-up, paired t)",
            "Points lost in follow-up",
            "Kim 2009 reported (lead-in vs follow-up)",
        ],
        rows=rows,
        note="Reproduces the paper's convention, not alstrial's: decline per 3 months = −3 × "
        "mean OLS slope (points/month) over the subjects with both slopes (n); points lost = "
        "−(last follow-up total − baseline), over the subjects with a follow-up visit. "
        f"Treated vs control, points lost in follow-up: Welch t {between} (Kim 2009: 1.54 "
        f"vs 3.56, p{KIM_2009['change_p']}).",
        key="kim2009",
    )


def cafs_table(result: EfficacyResult) -> Table | None:
    """CAFS (Berry et al. 2013) per arm and its rank test; None when it was not computed."""
    if result.cafs is None:
        return None
    summary = result.cafs.summary()
    rows = [
        [
            ARM_LABELS.get(row.arm, row.arm),
            str(int(row.n)),
            str(int(row.deaths)),
            number(row.mean_score, 1),
            number(row.median_score, 1),
        ]
        for row in summary.itertuples()
    ]
    test = result.cafs.test
    return Table(
        title="Combined assessment of function and survival (CAFS)",
        columns=["Arm", "n", "Deaths", "Mean score", "Median score"],
        rows=rows,
        note="Every pair of subjects compared: death first (longer survival wins), then the "
        "ALSFRS-R change at the end of follow-up; ties 0.5 (Berry et al. 2013). Treated vs "
        f"control: {test.test} {p_equals(test.p_value)} ({test.method}).",
        key="cafs",
    )


def mixed_model_table(result: EfficacyResult) -> Table:
    """The piecewise mixed model(s): the slope-change term with its test and fit diagnostics."""
    rows = []
    models = [result.mixed_treated, result.mixed_two_arm]
    for model in (m for m in models if m is not None):
        status = "converged" if model.converged else "NOT converged"
        if model.singular:
            status += ", singular random effects"
        rows.append(
            [
                model.formula + " + (1 + t | subject), REML",
                model.term,
                number(model.estimate, 3, signed=True),
                number(model.se, 3),
                f"{number(model.ci_low, 3)} to {number(model.ci_high, 3)}",
                p_value(model.p_value),
                f"{model.n_subjects} / {model.n_visits}",
                f"{status} ({model.optimizer})" + (f"; {model.note}" if model.note else ""),
            ]
        )
    return Table(
        title="Piecewise linear mixed model",
        columns=[
            "Model",
            "Term",
            "Estimate",
            "SE",
            f"{result.settings.confidence:.0%} CI",
            "Wald p",
            "Subjects / visits",
            "Fit",
        ],
        rows=rows,
        note="t = months from the index day, t_post = max(t, 0); the t_post coefficient is the "
        "change in slope after the index day (points/month; positive = slower decline). "
        "Two-sided Wald (normal) p-values.",
        key="mixed",
        numeric_from=2,
    )


def responders_table(result: EfficacyResult) -> Table:
    """Responders per arm and definition, with exact (Clopper-Pearson) intervals."""
    rows = []
    for rate in result.responders.rates:
        unit = "points/month" if rate.definition == "absolute" else "%"
        rule = (
            f"follow-up − lead-in slope ≥ {rate.threshold:g} {unit}"
            if rate.definition == "absolute"
            else f"(follow-up − lead-in) / |lead-in| ≥ {rate.threshold:g}{unit}"
        )
        rows.append(
            [
                ARM_LABELS.get(rate.arm, rate.arm),
                rule,
                f"{rate.responders} / {rate.n}",
                number(100 * rate.proportion, 1),
                f"{number(100 * rate.ci_low, 1)} to {number(100 * rate.ci_high, 1)}",
            ]
        )
    return Table(
        title="Responders",
        columns=[
            "Arm",
            "Definition",
            "Responders / n",
            "%",
            f"{result.settings.confidence:.0%} CI, %",
        ],
        rows=rows,
        note="Absolute thresholds: NurOwn phase 3 (1.25) and phase 2 (1.5) points/month; "
        "relative: Oh et al. 2018 (50/75/100%). Subjects without both slopes are not counted; "
        "a lead-in slope of 0 has no relative change.",
        key="responders",
        numeric_from=2,
    )


def exclusions_table(result: EfficacyResult) -> Table:
    """How many subjects each exclusion or truncation rule touched, per arm."""
    frame = result.slopes.exclusions
    rows = []
    for rule, meaning in EXCLUSION_RULES.items():
        counts = [
            str(frame.loc[(frame["rule"] == rule) & (frame["arm"] == arm), "subject_id"].nunique())
            for arm in ARMS
        ]
        rows.append([meaning, *counts])
    return Table(
        title="Exclusions and truncations",
        columns=["Rule", *[ARM_LABELS[a] for a in ARMS]],
        rows=rows,
        note="Subjects, per rule (a subject can meet several).",
        key="exclusions",
    )


def local_time(value: dt.datetime, time_zone: str | None) -> str:
    """A moment as a reader at the site reads it: ``2024-01-03 19:00 KST`` in ``time_zone``
    (IANA name), ``... UTC`` without one; a naive time is taken as UTC (how Django stores it)."""
    moment = pd.Timestamp(value)
    moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment
    moment = moment.tz_convert(time_zone or "UTC")
    return moment.strftime("%Y-%m-%d %H:%M ") + (moment.tzname() or time_zone or "UTC")


def _cell(value, time_zone: str | None) -> str:
    """One value of a frame as text: a dash for anything missing (None, NaN, NaT, NA), floats
    to 2 decimals, dates as ISO dates, moments in the site's local time."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return DASH
    if isinstance(value, float | np.floating):
        return number(float(value))
    if isinstance(value, pd.Timestamp | dt.datetime):
        if isinstance(value, pd.Timestamp) and value.tzinfo is None and value == value.normalize():
            return value.date().isoformat()  # a calendar date read as a timestamp
        return local_time(value, time_zone)
    return str(value)


def frame_table(
    title: str, frame: pd.DataFrame, note: str = "", key: str = "", time_zone: str | None = None
) -> Table:
    """Any DataFrame (e.g. a safety table) as a report table; floats to 2 decimals, missing
    values as a dash, column names with spaces for underscores (so they wrap in print).

    Moments (``awareness_at``) are shown in ``time_zone``, or in each row's ``time_zone``
    column (an IANA name, not shown) when the frame has one: each site's local time.
    """
    frame = frame.reset_index() if not isinstance(frame.index, pd.RangeIndex) else frame
    zones = frame[ZONE_COLUMN] if ZONE_COLUMN in frame.columns else None
    shown = frame.drop(columns=[ZONE_COLUMN]) if zones is not None else frame
    rows = [
        [_cell(v, time_zone if zones is None else zones.iloc[i]) for v in row]
        for i, row in enumerate(shown.itertuples(index=False, name=None))
    ]
    columns = [str(c).replace("_", " ") for c in shown.columns]
    return Table(title=title, columns=columns, rows=rows, note=note, key=key)


def settings_rows(result: EfficacyResult, extra: Mapping[str, object] | None = None):
    """The settings every output names, as (name, value) pairs."""
    s = result.settings
    rows = [
        ("Days per month", f"{s.days_per_month:g} (months = days / {s.days_per_month:g})"),
        ("Follow-up window", f"{s.follow_up_days} days after the index day"),
        (
            "Lead-in (pre-treatment) slope",
            {
                "ols": "OLS over all lead-in visits (two-point when there are exactly two)",
                "two_point": "two-point: (baseline − first lead-in total) / months between",
                "onset": "onset-anchored: (baseline total − 48) / months from onset",
            }[s.pre_slope],
        ),
        ("Follow-up slope", "OLS from the last lead-in visit (baseline) to the end of follow-up"),
        ("Confidence level", f"{s.confidence:.0%}"),
        (
            "Rank tests",
            f"exact when each group has fewer than {s.exact_rank_limit} values and no "
            "ties; otherwise normal approximation with continuity correction "
            "(R wilcox.test)",
        ),
    ]
    rows.extend((str(k), str(v)) for k, v in (extra or {}).items())
    if s.days_per_month != DAYS_PER_MONTH:
        rows.append(("Note", f"days per month differs from the default {DAYS_PER_MONTH:g}"))
    return rows
